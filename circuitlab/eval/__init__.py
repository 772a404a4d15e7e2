"""The seed experiments: one module per study (ddpm, snn, resnet) plus shared metrics.

Each experiment is a function from a config dataclass to a results dataclass; the CLI only parses
arguments, calls it and writes tables, plots and JSON. Quality metrics: :mod:`circuitlab.eval.metrics`
on the features of :mod:`circuitlab.eval.features`' classifier.
"""
from .features import (ClassifierCacheError, FeatureClassifier, FeatureExtractor, TrainedClassifier,
                       default_cache_dir, train_classifier)
from .metrics import (QualityScores, class_fraction, frechet_distance, gaussian_frechet_distance, kid,
                      metric_name, precision_recall, quality)

__all__ = ["FeatureClassifier", "FeatureExtractor", "TrainedClassifier", "ClassifierCacheError",
           "train_classifier", "default_cache_dir", "frechet_distance", "gaussian_frechet_distance", "kid",
           "precision_recall", "class_fraction", "metric_name", "QualityScores", "quality"]
