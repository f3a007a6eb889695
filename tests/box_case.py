"""The smallest conduction case the CLI tests write: one copper box with a chip in it and a
fixed-temperature top (shared by the check, run, magnitude and memory tests)."""


def box_case(size=("30 mm", "30 mm", "4 mm"), power="1 kW", top="30 C", extra="") -> str:
    """TOML text of the box case: ``size`` its x, y, z extents, ``power`` the chip's,
    ``top`` the temperature of its z_max face, ``extra`` TOML appended (tables such as
    ``[grid]`` or ``[output]``)."""
    x, y, z = size
    return f"""
[case]
[[bodies]]
name = "plate"
material = "copper"
shape = "box"
min = [0, 0, 0]
max = ["{x}", "{y}", "{z}"]
[[chips]]
name = "gpu"
body = "plate"
power = "{power}"
[[boundaries]]
name = "top"
side = "z_max"
type = "temperature"
temperature = "{top}"
{extra}"""
