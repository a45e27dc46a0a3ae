"""learned: a thin PyTorch codec whose empirical RDP curves are overlaid on the rdp_theory bounds."""
