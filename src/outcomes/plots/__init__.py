"""Plots: every function takes ``ax=None``, returns the axes and never calls ``plt.show()``."""
