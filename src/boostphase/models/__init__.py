"""The physical models analyses share: the Earth (WGS84, J2, rotation), the US76 atmosphere,
the vehicle catalog and geography (territories, seas, cities).
"""
