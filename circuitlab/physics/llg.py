"""Vectorised stochastic Landau-Lifshitz-Gilbert macrospin integrator (numpy and torch).

The equation is the Cartesian Landau-Lifshitz form of seed eq. 3 (devices.md section 1)::

    dm/dt = -gamma' [ m x H + alpha m x (m x H) ],   gamma' = gamma0 / (1 + alpha^2)
    H     = (Hx - Ms Nx mx + hx,  -Ms Ny my + hy,  (Hk(V) - Ms Nz) mz + hz)

with the thermal field h drawn once per fixed step dt, each component N(0, sigma^2) with
sigma = sqrt(2 alpha kB T / (gamma0 mu0 Ms Vol dt)) (Brown, seed eq. 5). The stochastic Heun scheme
(Scholz et al., cited by the seed) converges to the Stratonovich solution because the predictor and
the corrector use the SAME draw h; |m| is renormalised to 1 after each step.

One kernel serves both array libraries: :class:`_NumpyOps` and :class:`_TorchOps` supply in-place
element-wise operations on preallocated buffers (no temporaries inside the step loop), so the numpy
and torch paths run exactly the same algorithm. Trials are stored structure-of-arrays (mx, my, mz as
three 1-D arrays) so that a prefix ``[:k]`` of every array is a contiguous view: the pulse protocol
(:mod:`circuitlab.physics.protocol`) sorts trials by end time and shrinks the active prefix.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from ..errors import ConfigError
from .params import KB, MacrospinParams

_BUFFERS = ("hx", "hy", "hz", "fx", "fy", "fz", "kx", "ky", "kz", "px", "py", "pz", "s", "u", "v")


class _NumpyOps:
    """In-place element-wise operations on numpy arrays; noise from a ``numpy.random.Generator``."""

    def __init__(self, rng: np.random.Generator, dtype):
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self.mul = np.multiply
        self.add = np.add
        self.sub = np.subtract
        self.sqrt = np.sqrt
        self.div = np.divide

    def empty(self, n):
        return np.empty(n, dtype=self.dtype)

    def fill_normal(self, out):
        """Fill the (3, k) view ``out`` with N(0, 1) draws."""
        self.rng.standard_normal(out=out, dtype=self.dtype)

    def axpy(self, a, x, y, out):
        """out = a * x + y (a scalar); x is used as scratch and overwritten, out may be y."""
        np.multiply(x, a, out=x)
        np.add(y, x, out=out)


class _TorchOps:
    """In-place element-wise operations on torch tensors; noise from a ``torch.Generator``."""

    def __init__(self, generator, dtype, device, threads=None):
        import torch
        self.torch = torch
        self.threads = threads
        self.gen = generator
        self.dtype = dtype
        self.device = device
        self.mul = lambda a, b, out: torch.mul(a, b, out=out)
        self.add = lambda a, b, out: torch.add(a, b, out=out)
        self.sub = lambda a, b, out: torch.sub(a, b, out=out)
        self.sqrt = lambda a, out: torch.sqrt(a, out=out)
        self.div = lambda a, b, out: torch.div(a, b, out=out)

    def empty(self, n):
        return self.torch.empty(n, dtype=self.dtype, device=self.device)

    def fill_normal(self, out):
        out.normal_(generator=self.gen)

    def axpy(self, a, x, y, out):
        """out = a * x + y (a scalar), fused; out may be y."""
        self.torch.add(y, x, alpha=a, out=out)


class HeunIntegrator:
    """Fixed-step stochastic Heun integrator for many independent macrospins.

    Args:
        params: the macrospin (:class:`MacrospinParams`).
        n: number of trials (capacity of the buffers).
        dt: fixed time step in s.
        ops: a :class:`_NumpyOps` or :class:`_TorchOps` instance (use :func:`make_integrator`).

    The state lives in ``self.mx, self.my, self.mz`` (1-D, length n). ``self.czz`` holds, per trial,
    the z-field coefficient Hk(V) - Ms Nz in A/m; change it (``set_voltage``) to apply a gate pulse.
    """

    def __init__(self, params: MacrospinParams, n: int, dt: float, ops):
        if n < 1:
            raise ConfigError(f"number of trials n = {n!r} must be >= 1")
        if not dt > 0:
            raise ConfigError(f"time step dt = {dt!r} s must be > 0")
        self.params, self.n, self.dt, self.ops = params, int(n), float(dt), ops
        nx, ny, nz = params.demag
        self.cxx = -params.ms * nx          # A/m per unit mx
        self.cyy = -params.ms * ny
        self.cz0 = -params.ms * nz          # demag part of the z coefficient
        self.a = -params.gamma_ll * self.dt   # dimensionless step factor per A/m
        self.sigma = params.thermal_sigma(self.dt) if params.temperature > 0 and params.alpha > 0 else 0.0
        self.mx, self.my, self.mz = ops.empty(n), ops.empty(n), ops.empty(n)
        self.czz = ops.empty(n)
        self.noise_flat = ops.empty(3 * n) if self.sigma > 0 else None
        self.noise = None          # (3, k) contiguous view of noise_flat for the current step
        self.buf = {name: ops.empty(n) for name in _BUFFERS}
        self.set_state(0.0, 0.0, 1.0)       # start in P (+z) at 0 V unless told otherwise
        self.set_voltage(0.0)

    # --- state ----------------------------------------------------------------------------------
    def set_state(self, mx, my, mz) -> None:
        """Copy a state in (array-likes of length n, or scalars); it is normalised to |m| = 1."""
        for dst, src in ((self.mx, mx), (self.my, my), (self.mz, mz)):
            dst[:] = src if np.ndim(src) == 0 else self._like(np.asarray(src, dtype=float))
        self._normalise(self.n)

    def set_voltage(self, voltage, sl=slice(None)) -> None:
        """Apply gate voltage(s) in V to trials ``sl`` (scalar or array of the slice's length)."""
        p = self.params
        hk = 2 * (p.ki - p.xi * np.asarray(voltage, dtype=float) / p.t_ox) / (4e-7 * math.pi * p.ms * p.t_fl)
        value = hk + self.cz0
        if np.ndim(value) == 0:
            self.czz[sl] = float(value)
        else:
            self.czz[sl] = self._like(value)

    def _like(self, arr):
        if isinstance(self.ops, _TorchOps):
            return self.ops.torch.as_tensor(arr, dtype=self.ops.dtype, device=self.ops.device)
        return arr

    def state(self):
        """(mx, my, mz) as float64 numpy arrays."""
        return tuple(_to_numpy(v) for v in (self.mx, self.my, self.mz))

    # --- one step -------------------------------------------------------------------------------
    def _field_and_rate(self, mx, my, mz, k, fx, fy, fz):
        """Write the LL rate times dt, f = a [m x H + alpha m x (m x H)], into fx, fy, fz."""
        o, b = self.ops, self.buf
        hx, hy, hz, s, u = b["hx"][:k], b["hy"][:k], b["hz"][:k], b["s"][:k], b["u"][:k]
        p = self.params
        # effective field plus the (shared) thermal field
        o.mul(mx, self.cxx, out=hx)
        o.add(hx, p.hx, out=hx)
        o.mul(my, self.cyy, out=hy)
        o.mul(mz, self.czz[:k], out=hz)
        if self.noise is not None:
            o.add(hx, self.noise[0], out=hx)
            o.add(hy, self.noise[1], out=hy)
            o.add(hz, self.noise[2], out=hz)
        # precession p = m x H into fx, fy, fz
        o.mul(my, hz, out=fx); o.mul(mz, hy, out=s); o.sub(fx, s, out=fx)
        o.mul(mz, hx, out=fy); o.mul(mx, hz, out=s); o.sub(fy, s, out=fy)
        o.mul(mx, hy, out=fz); o.mul(my, hx, out=s); o.sub(fz, s, out=fz)
        alpha = p.alpha
        if alpha != 0:
            # damping: m x (m x H) = m (m.H) - H (m.m); u = m.H, s = m.m (the predictor is not unit)
            v = self.buf["v"][:k]
            o.mul(mx, hx, out=u); o.mul(my, hy, out=v); o.add(u, v, out=u); o.mul(mz, hz, out=v); o.add(u, v, out=u)
            o.mul(mx, mx, out=s); o.mul(my, my, out=v); o.add(s, v, out=s); o.mul(mz, mz, out=v); o.add(s, v, out=s)
            for m_c, h_c, f_c in ((mx, hx, fx), (my, hy, fy), (mz, hz, fz)):
                o.mul(m_c, u, out=v)
                o.mul(h_c, s, out=h_c)
                o.sub(v, h_c, out=v)
                o.axpy(alpha, v, f_c, out=f_c)
        o.mul(fx, self.a, out=fx)
        o.mul(fy, self.a, out=fy)
        o.mul(fz, self.a, out=fz)

    def _normalise(self, k):
        o, b = self.ops, self.buf
        mx, my, mz = self.mx[:k], self.my[:k], self.mz[:k]
        s, u = b["s"][:k], b["u"][:k]
        o.mul(mx, mx, out=s); o.mul(my, my, out=u); o.add(s, u, out=s); o.mul(mz, mz, out=u); o.add(s, u, out=s)
        o.sqrt(s, out=s)
        o.div(mx, s, out=mx); o.div(my, s, out=my); o.div(mz, s, out=mz)

    def step(self, k: int | None = None) -> None:
        """Advance the first k trials (default all) by one step dt."""
        k = self.n if k is None else k
        o, b = self.ops, self.buf
        mx, my, mz = self.mx[:k], self.my[:k], self.mz[:k]
        if self.noise_flat is not None:
            self.noise = nz = self.noise_flat[:3 * k].reshape(3, k)
            o.fill_normal(nz)
            o.mul(nz, self.sigma, out=nz)
        kx, ky, kz = b["kx"][:k], b["ky"][:k], b["kz"][:k]
        px, py, pz = b["px"][:k], b["py"][:k], b["pz"][:k]
        fx, fy, fz = b["fx"][:k], b["fy"][:k], b["fz"][:k]
        self._field_and_rate(mx, my, mz, k, kx, ky, kz)          # k1 * dt
        o.add(mx, kx, out=px); o.add(my, ky, out=py); o.add(mz, kz, out=pz)   # predictor
        self._field_and_rate(px, py, pz, k, fx, fy, fz)          # k2 * dt, same noise
        o.add(kx, fx, out=kx); o.add(ky, fy, out=ky); o.add(kz, fz, out=kz)
        o.axpy(0.5, kx, mx, out=mx); o.axpy(0.5, ky, my, out=my); o.axpy(0.5, kz, mz, out=mz)
        self._normalise(k)

    def run(self, n_steps: int, k: int | None = None) -> None:
        """Advance the first k trials by n_steps steps."""
        with self.threads():
            for _ in range(int(n_steps)):
                self.step(k)

    @contextlib.contextmanager
    def threads(self):
        """Run with the torch CPU thread count given to :func:`make_integrator` (restored afterwards)."""
        n = getattr(self.ops, "threads", None)
        if n is None:
            yield
            return
        torch = self.ops.torch
        old = torch.get_num_threads()
        torch.set_num_threads(int(n))
        try:
            yield
        finally:
            torch.set_num_threads(old)


def _to_numpy(x) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x.astype(np.float64, copy=True)
    return x.detach().to("cpu", dtype=__import__("torch").float64).numpy().copy()


_DTYPES = ("float64", "float32")


def make_integrator(params: MacrospinParams, n: int, dt: float = 1e-12, *, backend: str = "numpy",
                    generator=None, seed: int | None = None, dtype: str = "float64",
                    device: str = "cpu", threads: int | None = None) -> HeunIntegrator:
    """Build a :class:`HeunIntegrator` with an explicit random generator.

    Args:
        params: macrospin parameters.
        n: number of independent trials.
        dt: fixed time step in s (default 1 ps; the precession period at these fields is ~1 ns).
        backend: ``"numpy"`` or ``"torch"``.
        generator: a ``numpy.random.Generator`` (numpy) or ``torch.Generator`` (torch); or give ``seed``.
        seed: integer seed used to build the generator when ``generator`` is None.
        dtype: ``"float64"`` (default) or ``"float32"`` (faster; see the accuracy check in the tests).
        device: torch device string (``"cpu"``, ``"cuda"``); only with backend ``"torch"``.
        threads: torch CPU threads while stepping (None: torch's setting). On a shared 2-core machine
            one thread avoids OpenMP spin contention (measured 2.8e7 vs 4.6e6 trial-steps/s under
            load, benchmarks/bench_llg.py); unloaded, two threads are faster.

    Accuracy of ``float32``: the state is renormalised every step, so round-off (~6e-8 per step)
    does not accumulate in |m|; T = 0 trajectories follow float64 within 1e-3 over 2000 steps and
    P_sw agrees within binomial error (tests/test_llg.py).
    """
    if dtype not in _DTYPES:
        raise ConfigError(f"dtype {dtype!r} is not supported; use one of {_DTYPES}")
    if generator is None and seed is None:
        raise ConfigError("give an explicit generator or an integer seed: LLG runs are always seeded")
    if backend == "numpy":
        if device != "cpu":
            raise ConfigError(f"device {device!r} needs backend='torch'; numpy runs on the CPU only")
        rng = generator if generator is not None else np.random.default_rng(seed)
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"generator must be a numpy.random.Generator for backend 'numpy', got {type(rng).__name__}")
        ops = _NumpyOps(rng, dtype)
    elif backend == "torch":
        import torch
        gen = generator
        if gen is None:
            gen = torch.Generator(device=device)
            gen.manual_seed(int(seed))
        if not isinstance(gen, torch.Generator):
            raise ConfigError(f"generator must be a torch.Generator for backend 'torch', got {type(gen).__name__}")
        if threads is not None and int(threads) < 1:
            raise ConfigError(f"threads = {threads!r} must be >= 1")
        ops = _TorchOps(gen, getattr(torch, dtype), torch.device(device), threads)
    else:
        raise ConfigError(f"unknown LLG backend {backend!r}; use 'numpy' or 'torch'")
    return HeunIntegrator(params, n, dt, ops)


def energy(params: MacrospinParams, mx, my, mz, voltage: float = 0.0) -> np.ndarray:
    """Free-layer energy in J (seed eq. 4 plus thin-film demagnetisation), numpy arrays in and out.

    E = -mu0 Ms Vol [ Hx mx + Hk(V) mz^2 / 2 - Ms (Nx mx^2 + Ny my^2 + Nz mz^2) / 2 ].
    """
    nx, ny, nz = params.demag
    mx, my, mz = (np.asarray(v, dtype=float) for v in (mx, my, mz))
    w = params.hx * mx + 0.5 * params.hk(voltage) * mz ** 2 - 0.5 * params.ms * (nx * mx ** 2 + ny * my ** 2 + nz * mz ** 2)
    return -params.energy_scale() * w


def boltzmann_weight(params: MacrospinParams, mx, my, mz, voltage: float = 0.0) -> np.ndarray:
    """Unnormalised equilibrium density exp(-(E - E_min)/(kB T)) on the unit sphere (T > 0)."""
    if params.temperature <= 0:
        raise ConfigError("the Boltzmann distribution needs temperature > 0 K")
    e = energy(params, mx, my, mz, voltage)
    return np.exp(-(e - e.min()) / (KB * params.temperature))
