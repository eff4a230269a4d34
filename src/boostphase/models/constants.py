"""Physical constants, each defined once (SI). Every module that needs one imports it from here.

Sources: WGS84 defining constants and GM from NIMA TR8350.2 (3rd ed., 2000), J2 from EGM96 as
WGS84 tabulates it; standard gravity from the CGPM (1901), as used in Isp and US76 (NOAA/NASA/USAF,
1976, which also gives the sea-level pressure); the 6371 km mean radius is the textbook sphere
of the claim checks and the engagement geometry (IUGG mean radius R1 = 6371.0088 km, rounded).
"""

G0 = 9.80665                  # m/s^2, standard gravity (Isp in seconds; US76 geopotential metre)
P0_PA = 101325.0              # Pa, sea-level pressure (US76)

WGS84_A_M = 6378137.0         # m, equatorial radius
WGS84_F = 1.0 / 298.257223563  # flattening
EARTH_OMEGA_RAD_S = 7.292115e-5  # rad/s, rotation rate
EARTH_MU_M3_S2 = 3.986004418e14  # m^3/s^2, GM including the atmosphere
EARTH_J2 = 1.08262668e-3       # second zonal harmonic

SPHERE_R_M = 6371000.0        # m, mean radius of the textbook sphere
SPHERE_R_KM = SPHERE_R_M / 1e3
