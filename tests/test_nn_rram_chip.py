"""The SPICE chip: a small programmed RRAMLinear read by circuitlab's crossbar netlist in real ngspice (and
by the sparse nodal solver) against the behavioural layer, for the same conductances and inputs."""
import numpy as np
import pytest
import torch

from circuitlab.circuits.crossbar_chip import CrossbarChip, crossbar_column_voltages
from circuitlab.nn.rram_layers import IDEAL, RRAMConfig, RRAMLinear
from circuitlab.nn.rram_mapping import RRAMDevice
from circuitlab.nn.rram_convert import calibrate
from circuitlab.nn.rram_quant import dac_levels

pytestmark = pytest.mark.ngspice


@pytest.fixture(scope="module")
def layer():
    torch.manual_seed(0)
    lay = RRAMLinear(12, 5, device_model=RRAMDevice.from_model("rram_cim"),
                     cfg=IDEAL.only(program_error=True, relaxation=True, dac_bits=3, adc_bits=8))
    x = torch.rand(64, 12) * 2 - 1
    calibrate(lay, [x])
    lay.program(generator=torch.Generator().manual_seed(1))
    return lay


def inputs(n=4, seed=2):
    g = torch.Generator().manual_seed(seed)
    return dac_levels(1.0, 3, True)[torch.randint(0, 7, (n, 12), generator=g)].float()


def test_ngspice_crossbar_agrees_with_the_behavioural_column_voltages(layer):
    x = inputs()
    y_model = layer.column_voltages(x * float(layer.in_range))[:, 0].double().numpy()
    y_spice = crossbar_column_voltages(layer.g_pos.double().numpy(), layer.g_neg.double().numpy(), x.numpy(),
                                       solver="ngspice")
    # ideal wires: the circuit is the closed form; float32 layer and ngspice reltol 1e-6: measured 5e-8 V_read
    np.testing.assert_allclose(y_spice, y_model, rtol=0, atol=1e-6)


def test_sparse_solver_agrees_with_ngspice_with_wire_resistance(layer):
    x = inputs(2, seed=3)
    gp, gn = layer.g_pos.double().numpy(), layer.g_neg.double().numpy()
    a = crossbar_column_voltages(gp, gn, x.numpy(), r_wire=5.0, r_driver=100.0, solver="ngspice")
    b = crossbar_column_voltages(gp, gn, x.numpy(), r_wire=5.0, r_driver=100.0, solver="sparse")
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    ideal = crossbar_column_voltages(gp, gn, x.numpy())
    assert 1e-6 < np.max(np.abs(b - ideal)) < 0.02          # drivers and wires: a small, real IR drop


def test_layer_with_the_spice_chip_matches_the_behavioural_layer(layer):
    x = inputs(3, seed=4) * float(layer.in_range)
    with torch.no_grad():
        behavioural = layer(x)
        layer.chip = CrossbarChip(r_wire=0.0, solver="ngspice")
        try:
            spice = layer(x)
        finally:
            layer.chip = None
    # same ADC codes except where a column voltage sits within rounding of a code boundary: one ADC step
    step = 2 * float(layer.adc_clip) / 2 ** 8 * layer.normaliser()[0] * float(layer.in_range)
    assert torch.all((spice - behavioural).abs() <= step + 1e-6)
    assert float((spice - behavioural).abs().max()) < 0.05 * float(behavioural.abs().max())
