"""Time-of-use tariffs (分时电价) as versioned data records, and the energy cost they give."""
