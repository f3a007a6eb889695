"""``rack.vtm``: the network and every plate solved in 3D, at its place in the rack, with the
arrays of ``fields.vtr`` and one temperature array name (docs/results.md, issue 13 item 5).

The plate solves are the analytic plate of test_coupling_rack with made-up cell fields on a
40 x 10 x 4 mm box (the conjugate model's scene is checked in test_coupling_rack): this test is
about where the blocks go and what they carry, not about the fields' values.
"""

import numpy as np
import pyvista as pv
from test_coupling_rack import FLOWS, rack, viscous_plate  # noqa: F401 (rack is a fixture)

from solver.coupling import couple_rack
from solver.output import rack_scene

SHAPE = (8, 4, 2)
FACES = (np.linspace(0.0, 0.04, 9), np.linspace(0.0, 0.01, 5), np.linspace(0.0, 0.004, 3))


def plate_with_fields(case, flow, backend):
    """The analytic plate, with cell fields as the conjugate runner returns them."""
    point = viscous_plate(case, flow, backend)
    x = np.broadcast_to(np.arange(SHAPE[0])[:, None, None], SHAPE)
    fields = {"faces": FACES, "temperature": point.inlet_temperature + 1.0 + x,
              "material": np.where(np.arange(SHAPE[2]) < 1, 0, 1)[None, None, :]
              * np.ones(SHAPE, dtype=np.int32),
              "body_names": ["base", "channel"],
              "velocity": np.ones((*SHAPE, 3)) * [0.5, 0.0, 0.0],
              "pressure": 100.0 * (SHAPE[0] - x)}
    return type(point)(**{**point.__dict__, "fields": fields})


def test_scene_holds_every_3d_plate_at_its_rack_position(rack, tmp_path):  # noqa: F811
    section, coolant, plate = rack
    gpu = section.rack.plates[0].model_copy(update={"count": 3})
    small = section.model_copy(update={"rack": section.rack.model_copy(
        update={"trays": 2, "plates": [gpu]})})
    coupled = couple_rack(small, coolant, {"gpu": plate}, FLOWS, runner=plate_with_fields,
                          every_plate=True, store=False)
    assert len(coupled.operating_points) == 6  # 2 trays x 3 parallel plates, all in 3D
    scene = pv.read(rack_scene(tmp_path / "rack.vtm", coupled))
    names = [scene.get_block_name(i) for i in range(scene.n_blocks)]
    assert names[0] == "network"
    assert sorted(names[1:]) == sorted("plate_" + n for n in coupled.operating_points)
    network = scene["network"]
    boxes = []
    for name in names[1:]:
        block = scene[name]
        component = str(block.field_data["component_name"][0])
        assert "plate_" + component == name
        # the arrays of fields.vtr, with units, and the body names
        units = dict(zip(block.field_data["array_names"], block.field_data["array_units"],
                         strict=True))
        assert units == {"temperature": "K", "velocity": "m/s", "pressure": "Pa",
                         "body_id": "1"}
        assert block.cell_data["velocity"].shape == (np.prod(SHAPE), 3)
        assert set(block.cell_data["body_id"]) == {0, 1}
        assert list(block.field_data["body_names"]) == ["base", "channel"]
        # the plate sits centred on its own network line: the middle of the straight line
        # (the middle of the three plates) or of the offset part of the bent ones
        ids = network.get_cell(list(network.field_data["component_names"]).index(component)
                               ).point_ids
        assert len(ids) in (2, 4)
        middle = network.points[ids if len(ids) == 2 else ids[1:3]].mean(axis=0)
        bounds = np.asarray(block.bounds).reshape(3, 2)
        np.testing.assert_allclose(bounds.mean(axis=1), middle, atol=1e-12)
        np.testing.assert_allclose(bounds[:, 1] - bounds[:, 0], [f[-1] for f in FACES])
        boxes.append(bounds)
    # no two plates overlap (trays stack in z, parallel plates stand side by side in y)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            separated = (a[:, 1] <= b[:, 0] + 1e-12) | (b[:, 1] <= a[:, 0] + 1e-12)
            assert separated.any(), (a, b)
    # names live in the field data only: VTK's probe and stream tracer crash on string
    # point/cell arrays (pyvista issues 9210, 9227), and ParaView's Plot Over Line probes
    for block in scene:
        assert all(block[n].dtype.kind in "biuf" for n in block.array_names
                   if n in block.point_data or n in block.cell_data)
    # one temperature array name for the plates (cells) and the network (nodes)
    assert "temperature" in network.point_data
    assert not [n for b in scene for n in b.array_names
                if "temperature" in n and n not in ("temperature", "inlet_temperature",
                                                     "outlet_temperature")]
    network_units = dict(zip(network.field_data["array_names"],
                             network.field_data["array_units"], strict=True))
    assert network_units["temperature"] == "K"
