"""Statistics shared by calibration and fidelity: distances, closed forms of the spec's laws, noise bounds."""
