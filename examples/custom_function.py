"""Write a new differentiable primitive and check its gradient.

Run: python examples/custom_function.py
"""

import numpy as np

import brickwork as bw


class Swish(bw.Function):
    r""":math:`y = x\,\sigma(\beta x)`, :math:`\bar x = \bar y\,(\sigma + \beta x\sigma(1-\sigma))`."""

    def __init__(self, beta=1.0):
        self.beta = beta

    def forward(self, x):
        self.x = x
        self.s = 1 / (1 + np.exp(-self.beta * x))
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * (s + self.beta * self.x * s * (1 - s))


def main():
    x = np.random.default_rng(0).standard_normal((4, 3))
    result = bw.gradcheck(lambda t: Swish(beta=1.5)(t), x)
    print(result)
    assert result.passed


if __name__ == "__main__":
    main()
