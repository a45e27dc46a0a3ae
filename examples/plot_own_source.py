"""
Bounds for your own source, checked by simulation
=================================================

Estimate a Gauss-Markov model from data, compute the lexicographic optimum under each
perception loss function, and simulate each optimal scheme: the Monte Carlo distortions (with
standard errors) must match the solver's. Results go through
:meth:`rdp_theory.RDPSolution.to_dataframe` into one tidy table.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import rdp_theory as rt

rng = np.random.default_rng(0)
frames = rt.GaussMarkovSource((2.0, 1.5, 1.0), (0.95, 0.8)).sample(20_000, rng)  # "your data"

sigmas = tuple(frames.std(axis=0))
rhos = tuple(np.corrcoef(frames[:, k], frames[:, k + 1])[0, 1] for k in range(2))
src = rt.GaussMarkovSource(sigmas, rhos)

tables = []
for plf in ("jd", "fmd", "sa"):
    sol = rt.solve_rdp(src, rates=(1.0, 0.5, 0.5), perception=0.05, plf=plf)
    sim = sol.simulate(20_000, rng)
    df = sol.to_dataframe()
    df["simulated"], df["simulated_se"] = sim.distortions, sim.distortions_se
    tables.append(df)
table = pd.concat(tables, ignore_index=True)
print(table[["plf", "frame", "distortion", "simulated", "simulated_se", "status", "solver"]])

fig, ax = plt.subplots(figsize=(6, 4))
for i, (plf, part) in enumerate(table.groupby("plf", sort=False)):
    x = part["frame"] + 0.2 * (i - 1)
    ax.bar(x, part["distortion"], width=0.2, label=f"PLF-{plf.upper()}")
    ax.errorbar(x, part["simulated"], yerr=4 * part["simulated_se"], fmt="k.", capsize=2)
ax.set_xticks([1, 2, 3])
ax.set_xlabel("frame")
ax.set_ylabel("distortion (bars: optimum; dots: Monte Carlo ± 4 se)")
ax.set_title("R = (1, 0.5, 0.5), P = 0.05")
ax.legend()
fig.tight_layout()
plt.show()
