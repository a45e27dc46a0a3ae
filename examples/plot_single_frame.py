"""
One Gaussian frame: distortion against rate at several perception levels
=========================================================================

For a single frame :math:`X \\sim \\mathcal N(0, \\sigma^2)` the rate-distortion-perception
function is known in closed form (:func:`rdp_theory.gaussian_rdp`). Perfect realism
(:math:`P = 0`) costs at most twice the MSE-only distortion, and the cost vanishes once the
level exceeds what the MSE decoder already achieves.
"""

import matplotlib.pyplot as plt
import numpy as np

import rdp_theory as rt

rates = np.linspace(0.0, 3.0, 121)
levels = np.array([0.0, 0.02, 0.1, np.inf])  # W2^2; inf = MSE only

# rates as a column, levels as a row: one call gives the whole (121, 4) grid
d = rt.gaussian_rdp(1.0, rates[:, None], levels[None, :])

fig, ax = plt.subplots(figsize=(6, 4))
for j, p in enumerate(levels):
    ax.plot(rates, d[:, j], label="MSE only" if np.isinf(p) else f"P = {p:g}")
ax.set_xlabel("rate R (bits per sample)")
ax.set_ylabel("distortion D (MSE)")
ax.set_yscale("log")
ax.set_title("One frame, σ = 1")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# At :math:`P = 0` the closed form is :math:`2\sigma^2(1 - \sqrt{1 - 2^{-2R}})`, at most twice
# the MSE-only :math:`\sigma^2 2^{-2R}`:
ratio = d[1:, 0] / d[1:, -1]
print(f"D(R, 0) / D(R, inf) lies in [{ratio.min():.3f}, {ratio.max():.3f}]")
