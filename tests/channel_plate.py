"""A small conjugate cold plate the tests write: a copper base 10 mm wide under a flat 2 mm
water channel (no fins), one chip heating the whole base (shared by the curve and limit tests)."""


def channel_plate_case(length="40 mm", power="1 kW", inlet="35 C", spacing="1 mm",
                       limit="95 C") -> str:
    """TOML text of the plate: ``length`` along the flow, ``power`` and ``limit``
    (``max_temperature``) of its chip, ``inlet`` temperature (1 L/min of water), grid
    ``spacing``."""
    return f"""
[case]
name = "plate"

[solver]
physics = "conjugate"

[grid]
max_spacing = "{spacing}"

[[bodies]]
name = "base"
material = "copper"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["{length}", "10 mm", "2 mm"]

[[bodies]]
name = "channel"
material = "coolant"
shape = "box"
min = ["0 mm", "0 mm", "2 mm"]
max = ["{length}", "10 mm", "4 mm"]

[[chips]]
name = "gpu"
body = "base"
power = "{power}"
max_temperature = "{limit}"

[[boundaries]]
name = "inlet"
type = "inlet"
side = "x_min"
region = {{ min = ["0 mm", "2 mm"], max = ["10 mm", "4 mm"] }}
volumetric_flow = "1 L/min"
temperature = "{inlet}"

[[boundaries]]
name = "outlet"
type = "outlet"
side = "x_max"
region = {{ min = ["0 mm", "2 mm"], max = ["10 mm", "4 mm"] }}
"""
