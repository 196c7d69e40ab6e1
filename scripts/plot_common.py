"""What the figure scripts share."""
import os

import matplotlib.pyplot as plt


def save(fig, out, filename):
    """Lays out and writes `fig` to OUT/FILENAME, closes it and returns the path."""
    fig.tight_layout()
    path = os.path.join(out, filename)
    fig.savefig(path)
    plt.close(fig)
    return path
