"""The update rules of seed 002, with Keras 3's arguments and defaults.

Notation: :math:`w` weights, :math:`g` gradient, :math:`\\lambda` learning rate,
:math:`t` the 1-based step. Every rule changes ``var.data`` in place.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork.backend import get_array_module
from brickwork.optimizers.base import Optimizer, check_number

_FLOATS = (np.float32, np.float64)


def _fused(*arrays: Any) -> bool:
    """Whether the compiled one-pass update (:mod:`brickwork.kernels.optimizer_kernels`) takes these arrays:
    C-contiguous NumPy arrays of one float dtype."""
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(type(a) is np.ndarray and a.dtype == dtype and a.flags.c_contiguous
                                    for a in arrays)


def _check_adam_like(owner: str, beta_1: float, beta_2: float, epsilon: float) -> None:
    check_number(owner, "beta_1", beta_1, high=1.0, high_open=True)
    check_number(owner, "beta_2", beta_2, high=1.0, high_open=True)
    check_number(owner, "epsilon", epsilon, low_open=True)


class SGD(Optimizer):
    r"""Gradient descent with optional momentum and Nesterov momentum.

    Plain: :math:`w_{t+1} = w_t - \lambda g_t` (batch, stochastic or mini-batch
    gradient descent, depending only on the batch the gradient came from).

    Momentum (seed 002's :math:`v_t = \gamma v_{t-1} + \lambda g_t`,
    :math:`w_{t+1} = w_t - v_t`), written as Keras with :math:`m = -v`:
    :math:`m \leftarrow \gamma m - \lambda g`, :math:`w \leftarrow w + m`.

    Nesterov: :math:`w \leftarrow w + \gamma m - \lambda g` after the same
    :math:`m` update (the look-ahead gradient of seed 002, rearranged so that it
    needs only the gradient at the current weights).

    Defaults: ``learning_rate=0.01``, ``momentum=0.0``, ``nesterov=False``.
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_number("SGD", "momentum", momentum, high=1.0)
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build_slots(self, var):
        xp = get_array_module(var.data)
        return {"momentum": xp.zeros_like(var.data)} if self.momentum else {}

    def update(self, var, g, slots, lr):
        w = var.data
        xp = get_array_module(w)
        lr_ = w.dtype.type(lr)
        (a,) = self.work_arrays(var, 1)
        xp.multiply(g, lr_, out=a)             # a = lambda g
        if not self.momentum:
            w -= a
            return
        m = slots["momentum"]
        mom = w.dtype.type(self.momentum)
        m *= mom
        m -= a
        if self.nesterov:                       # w += gamma m - lambda g
            a *= -1
            a += mom * m
            w += a
        else:
            w += m

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return cfg


class Adagrad(Optimizer):
    r"""Adagrad: per-weight rates shrinking with the summed squared gradients (seed 002).

    .. math:: G \leftarrow G + g^2, \qquad w \leftarrow w - \lambda\, g / \sqrt{G + \epsilon}

    Keras defaults: ``learning_rate=0.001``, ``initial_accumulator_value=0.1``,
    ``epsilon=1e-7`` (inside the square root, as Keras; PyTorch adds it outside).
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_number("Adagrad", "initial_accumulator_value", initial_accumulator_value)
        check_number("Adagrad", "epsilon", epsilon, low_open=True)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build_slots(self, var):
        xp = get_array_module(var.data)
        return {"accumulator": xp.full_like(var.data, self.initial_accumulator_value)}

    def update(self, var, g, slots, lr):
        xp = get_array_module(var.data)
        acc = slots["accumulator"]
        acc += g * g
        var.data -= var.dtype.type(lr) * g / xp.sqrt(acc + var.dtype.type(self.epsilon))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return cfg


class RMSprop(Optimizer):
    r"""RMSprop: divide by a running root-mean-square of the gradients (seed 002).

    .. math:: E[g^2]_t = \rho\,E[g^2]_{t-1} + (1-\rho)\,g_t^2, \qquad
              w \leftarrow w - \lambda\, g_t / \sqrt{E[g^2]_t + \epsilon}

    ``centered=True`` subtracts the squared running mean gradient inside the
    root; ``momentum`` accumulates the increments. Keras defaults:
    ``learning_rate=0.001``, ``rho=0.9``, ``epsilon=1e-7`` (inside the root;
    PyTorch's ``alpha`` is :math:`\rho` and adds its epsilon outside).
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        check_number("RMSprop", "rho", rho, high=1.0, high_open=True)
        check_number("RMSprop", "momentum", momentum, high=1.0)
        check_number("RMSprop", "epsilon", epsilon, low_open=True)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build_slots(self, var):
        xp = get_array_module(var.data)
        slots = {"velocity": xp.zeros_like(var.data)}
        if self.momentum:
            slots["momentum"] = xp.zeros_like(var.data)
        if self.centered:
            slots["average_gradient"] = xp.zeros_like(var.data)
        return slots

    def update(self, var, g, slots, lr):
        xp = get_array_module(var.data)
        t = var.dtype.type
        rho = t(self.rho)
        work, denom = self.work_arrays(var, 2)   # in place: no temporaries per step
        v = slots["velocity"]
        v *= rho
        xp.multiply(g, 1 - rho, out=work)
        work *= g
        v += work                                 # v = rho v + (1 - rho) g^2
        if self.centered:
            avg = slots["average_gradient"]
            avg *= rho
            xp.multiply(g, 1 - rho, out=work)
            avg += work
            xp.multiply(avg, avg, out=work)
            xp.subtract(v, work, out=denom)
            denom += t(self.epsilon)              # v - avg^2 + eps
        else:
            xp.add(v, t(self.epsilon), out=denom)
        xp.sqrt(denom, out=denom)
        xp.multiply(g, t(lr), out=work)
        work /= denom                             # the increment lambda g / sqrt(denom)
        if self.momentum:
            m = slots["momentum"]
            m *= t(self.momentum)
            m += work
            var.data -= m
        else:
            var.data -= work

    def fused_update(self, var, g, slots, lr, decay, grad_scale):
        """The uncentred update in one compiled pass (:mod:`brickwork.kernels.optimizer_kernels`)."""
        v, momentum = slots["velocity"], slots["momentum"] if self.momentum else None
        if self.centered or not _fused(var.data, g, v, *([momentum] if momentum is not None else [])):
            return False
        from brickwork.kernels.optimizer_kernels import rmsprop_update

        rmsprop_update(var.data, g, v, self.rho, lr, self.epsilon, momentum, self.momentum, decay, grad_scale)
        return True

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return cfg


class Adam(Optimizer):
    r"""Adam: RMSprop with momentum and bias correction (Kingma & Ba 2015).

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        w \leftarrow w - \lambda \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m}{\sqrt v + \epsilon}

    (Keras's form: :math:`\epsilon` is the paper's :math:`\hat\epsilon`.) With
    ``amsgrad=True`` the running maximum of :math:`v` is used. Keras defaults:
    ``learning_rate=0.001``, ``beta_1=0.9``, ``beta_2=0.999``, ``epsilon=1e-7``.

    ``epsilon_outside=True`` is the paper's and PyTorch's form,
    :math:`w \leftarrow w - \frac{\lambda}{1-\beta_1^t}\,\frac{m}{\sqrt{v/(1-\beta_2^t)} + \epsilon}`
    (what a PyTorch-style construction ``Adam(model.parameters(), eps=1e-8)`` uses).
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, epsilon_outside: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        _check_adam_like(type(self).__name__, beta_1, beta_2, epsilon)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self.epsilon_outside = bool(epsilon_outside)

    def build_slots(self, var):
        xp = get_array_module(var.data)
        slots = {"momentum": xp.zeros_like(var.data), "velocity": xp.zeros_like(var.data)}
        if self.amsgrad:
            slots["velocity_hat"] = xp.zeros_like(var.data)
        return slots

    def update(self, var, g, slots, lr):
        w = var.data
        xp = get_array_module(w)
        t = w.dtype.type
        step = self.iterations
        m, v = slots["momentum"], slots["velocity"]
        work, denom = self.work_arrays(var, 2)   # in place: one pass per operation, no temporaries
        xp.subtract(g, m, out=work)
        work *= t(1 - self.beta_1)
        m += work                                 # m += (g - m)(1 - beta_1)
        xp.multiply(g, g, out=work)
        work -= v
        work *= t(1 - self.beta_2)
        v += work                                 # v += (g^2 - v)(1 - beta_2)
        if self.amsgrad:
            vh = slots["velocity_hat"]
            xp.maximum(vh, v, out=vh)
            v = vh
        xp.sqrt(v, out=denom)
        if self.epsilon_outside:
            denom /= t(math.sqrt(1 - self.beta_2 ** step))
            denom += t(self.epsilon)
            xp.multiply(m, t(lr / (1 - self.beta_1 ** step)), out=work)
        else:
            denom += t(self.epsilon)
            alpha = lr * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step)
            xp.multiply(m, t(alpha), out=work)
        work /= denom
        w -= work

    def fused_update(self, var, g, slots, lr, decay, grad_scale):
        """The update (AMSGrad excepted) in one compiled pass (:mod:`brickwork.kernels.optimizer_kernels`)."""
        w, m, v = var.data, slots["momentum"], slots["velocity"]
        if self.amsgrad or not _fused(w, g, m, v):
            return False
        from brickwork.kernels.optimizer_kernels import adam_update

        step = self.iterations
        if self.epsilon_outside:
            alpha, scale = lr / (1 - self.beta_1 ** step), math.sqrt(1 - self.beta_2 ** step)
        else:
            alpha, scale = lr * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step), None
        adam_update(w, g, m, v, self.beta_1, self.beta_2, alpha, self.epsilon, scale, decay, grad_scale)
        return True

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        if self.epsilon_outside:
            cfg["epsilon_outside"] = True
        return cfg


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019):
    :math:`w \leftarrow w - \lambda\,\text{wd}\,w` before the Adam step.
    Keras default ``weight_decay=0.004``. Biases and normalisation scales are usually left undecayed:
    ``opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])`` before training (see
    :meth:`~brickwork.optimizers.Optimizer.exclude_from_weight_decay`)."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)


class Nadam(Optimizer):
    r"""Nadam: Adam with Nesterov momentum (Dozat 2016), with the momentum schedule
    :math:`\mu_t = \beta_1(1 - \tfrac12\, 0.96^{0.004\,t})`:

    .. math::
        \hat m = \frac{\mu_{t+1} m}{1 - \prod_{i\le t+1}\mu_i} + \frac{(1-\mu_t) g}{1 - \prod_{i \le t}\mu_i},
        \quad \hat v = \frac{v}{1-\beta_2^t}, \quad
        w \leftarrow w - \lambda\,\hat m / (\sqrt{\hat v} + \epsilon)

    Keras defaults: ``learning_rate=0.001``, ``beta_1=0.9``, ``beta_2=0.999``, ``epsilon=1e-7``.
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        _check_adam_like("Nadam", beta_1, beta_2, epsilon)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = 1.0
        self._u_product_step = 0

    def build_slots(self, var):
        xp = get_array_module(var.data)
        return {"momentum": xp.zeros_like(var.data), "velocity": xp.zeros_like(var.data)}

    def _schedule(self) -> tuple[float, float, float, float]:
        step = self.iterations
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** (step * 0.004))
        u_t1 = self.beta_1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * 0.004))
        if self._u_product_step != step:  # advance the running product once per step
            self._u_product *= u_t
            self._u_product_step = step
        return u_t, u_t1, self._u_product, self._u_product * u_t1

    def update(self, var, g, slots, lr):
        xp = get_array_module(var.data)
        t = var.dtype.type
        u_t, u_t1, prod_t, prod_t1 = self._schedule()
        m, v = slots["momentum"], slots["velocity"]
        m += (g - m) * t(1 - self.beta_1)
        v += (g * g - v) * t(1 - self.beta_2)
        m_hat = t(u_t1 / (1 - prod_t1)) * m + t((1 - u_t) / (1 - prod_t)) * g
        v_hat = v / t(1 - self.beta_2 ** self.iterations)
        var.data -= t(lr) * m_hat / (xp.sqrt(v_hat) + t(self.epsilon))

    def get_state(self, variables):
        state = super().get_state(variables)
        state["u_product"] = np.asarray(self._u_product)
        return state

    def set_state(self, variables, state):
        super().set_state(variables, state)
        self._u_product = float(state.get("u_product", 1.0))
        self._u_product_step = self.iterations

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return cfg
