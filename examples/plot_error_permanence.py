"""
Error permanence under the joint perception loss
================================================

With perfect realism under PLF-JD (the joint law of all frames so far must be reproduced), a
poor first frame is never repaired: as :math:`R_1 \\to 0`, :math:`D_2` stays above
:math:`2\\sigma^2(1 - \\sqrt{1 - \\rho^2})` however large :math:`R_2` is
(:func:`rdp_theory.error_permanence_limit`). Under PLF-FMD (each frame's own law) it goes to 0.
Both curves are closed forms.
"""

import matplotlib.pyplot as plt
import numpy as np

import rdp_theory as rt

src = rt.GaussMarkovSource.stationary(2, sigma=1.0, rho=0.9)
r2 = np.linspace(0.0, 6.0, 61)

fig, ax = plt.subplots(figsize=(6, 4))
for r1, colour in zip((0.0, 0.25, 1.0), ("C0", "C1", "C2")):
    jd = [rt.jd_zero_perception_distortions(src, (r1, r))[1] for r in r2]
    fmd = [rt.fmd_distortions(src, (r1, r), 0.0)[1] for r in r2]
    ax.plot(r2, jd, color=colour, label=f"0-PLF-JD, R_1 = {r1:g}")
    ax.plot(r2, fmd, color=colour, linestyle="--", label=f"0-PLF-FMD, R_1 = {r1:g}")
limit = rt.error_permanence_limit(src, 2)
ax.axhline(limit, color="k", linewidth=0.8, linestyle=":", label=f"JD limit {limit:.3f}")
ax.set_xlabel("R_2 (bits per sample)")
ax.set_ylabel("D_2")
ax.set_title("σ = 1, ρ = 0.9, T = 2")
ax.legend(fontsize=8, ncol=2)
fig.tight_layout()
plt.show()
