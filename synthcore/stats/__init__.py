"""Statistics shared by calibration and fidelity: pack cells, distances, closed forms of laws, noise bounds."""
