"""
The distortion-perception trade-off of the last frame
=====================================================

The least achievable :math:`D_3` (objective: :math:`D_3` alone) as the perception level moves
from perfect realism to unconstrained, for each perception loss function, at fixed rates. This
calls the certified convex program (:func:`rdp_theory.solve_rdp`); PLF-FMD comes from its
closed form, checked like a solver result. For this objective PLF-SA coincides with PLF-FMD (the
open markers sit on the FMD curve), as in the ``distortion_perception`` figure. The axis is
linear below :math:`10^{-3}` (symlog), so :math:`P = 0` is drawn.
"""

import matplotlib.pyplot as plt
import numpy as np

import rdp_theory as rt

src = rt.GaussMarkovSource.stationary(3, sigma=1.0, rho=0.9)
rates = (0.25, 0.25, 0.25)
levels = np.concatenate([[0.0], np.geomspace(1e-3, 1.0, 9)])

fig, ax = plt.subplots(figsize=(6, 4))
for plf, style, marker in (("jd", "-", "o"), ("fmd", "--", "s"), ("sa", "-.", "o")):
    d3 = [rt.solve_rdp(src, rates, p, plf=plf, objective=(0, 0, 1)).distortions[2]
          for p in levels]
    ax.plot(levels, d3, style, marker=marker, markersize=6 if plf == "sa" else 3,
            markerfacecolor="none" if plf == "sa" else None, label=f"PLF-{plf.upper()}")
mse = rt.mmse_distortions(src, rates)[2]
ax.axhline(mse, color="grey", linestyle=":", label="MSE only")
ax.set_xscale("symlog", linthresh=1e-3)
ax.set_xlim(0.0, 1.2)
ax.set_xlabel("perception level P (W2², every frame)")
ax.set_ylabel("least D_3")
ax.set_title("R = (0.25, 0.25, 0.25), σ = 1, ρ = 0.9")
ax.legend()
fig.tight_layout()
plt.show()
