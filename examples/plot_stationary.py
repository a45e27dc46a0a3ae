"""
Steady state: distortion at a constant rate as T grows
======================================================

For a stationary source at a constant rate, every PLF's per-frame distortion converges as
:math:`T \\to \\infty`; :func:`rdp_theory.stationary_distortion` gives the limits in closed
form. The 0-PLF-JD values of frames 1 to 8 (dots) approach their limit from above.
"""

import matplotlib.pyplot as plt
import numpy as np

import rdp_theory as rt

rates = np.linspace(0.05, 3.0, 60)
fig, ax = plt.subplots(figsize=(6, 4))
for plf, style in (("jd", "-"), ("sa", "-."), ("fmd", "--")):
    ax.plot(rates, rt.stationary_distortion(1.0, 0.9, rates, 0.0, plf), style,
            label=f"0-PLF-{plf.upper()}, T → ∞")
ax.plot(rates, rt.stationary_distortion(1.0, 0.9, rates), ":", color="grey", label="MSE only")

src = rt.GaussMarkovSource.stationary(8, sigma=1.0, rho=0.9)
for r in (0.5, 1.0, 2.0):
    d = rt.jd_zero_perception_distortions(src, np.full(8, r))
    ax.plot([r] * 8, d, "k.", markersize=3)
ax.set_yscale("log")
ax.set_xlabel("constant rate R (bits per sample)")
ax.set_ylabel("per-frame distortion")
ax.set_title("σ = 1, ρ = 0.9 (dots: 0-PLF-JD frames 1..8)")
ax.legend()
fig.tight_layout()
plt.show()
