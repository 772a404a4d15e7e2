"""Device model definitions (one module per family); each exposes ``build() -> DeviceModel``."""
