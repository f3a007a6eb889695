"""Files stay where they belong (issue 15, item 4): every path a case names (mesh, power map,
rack plate case, ``[output] directory``) is resolved against the case file's folder, with ``..``
and symbolic links resolved, and must lie inside that folder tree unless the user passes
``--allow-outside`` (``load_case(..., allow_outside=True)``); ``--output`` may point anywhere
but not at a file."""

from pathlib import Path

import pytest
from box_case import box_case  # noqa: E402 (tests/ on the path)

from solver.case import CaseError, load_case
from solver.cli import main

ROOT = Path(__file__).resolve().parents[1]

FAST = """
[grid]
max_spacing = "5 mm"
[output]
write_images = false
write_fields = false
checkpoint = false
"""

# a 30 x 30 x 4 mm box as an OBJ in mm, outward normals
BOX_OBJ = """v 0 0 0
v 30 0 0
v 30 30 0
v 0 30 0
v 0 0 4
v 30 0 4
v 30 30 4
v 0 30 4
f 1 4 3 2
f 5 6 7 8
f 1 2 6 5
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
"""


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (what a run may have changed)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def tree(tmp_path):
    """``case/`` for the case files, ``outside/`` beside it holding a mesh and a power map."""
    (tmp_path / "case").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "plate.obj").write_text(BOX_OBJ)
    (outside / "map.csv").write_text("1, 2\n3, 4\n")
    return tmp_path


def _reference(tree: Path, how: str, name: str) -> str:
    """The path written in the case for ``outside/<name>``: relative with .., absolute, or
    through a symlink inside the case folder (to the file, or to its folder)."""
    case = tree / "case"
    if how == "relative":
        return f"../outside/{name}"
    if how == "absolute":
        return str(tree / "outside" / name)
    if how == "symlinked_file":
        (case / f"link_{name}").symlink_to(tree / "outside" / name)
        return f"link_{name}"
    (case / "shared").symlink_to(tree / "outside", target_is_directory=True)
    return f"shared/{name}"


def _mesh_case(written: str) -> str:
    return box_case(extra=FAST).replace('shape = "box"\nmin = [0, 0, 0]\n'
                                        'max = ["30 mm", "30 mm", "4 mm"]',
                                        f'shape = "mesh"\nfile = "{written}"\nscale = 0.001')


def _power_map_case(written: str) -> str:
    return box_case(extra=FAST).replace('power = "1 kW"', f'power = "1 kW"\npower_map = '
                                                          f'"{written}"')


CASES = {"mesh": ("bodies[0].file", "plate.obj", _mesh_case),
         "power_map": ("chips[0].power_map", "map.csv", _power_map_case)}
HOW = ["relative", "absolute", "symlinked_file", "symlinked_folder"]


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("what", CASES)
def test_a_file_outside_the_case_tree_is_refused_unless_allowed(what, how, tree, capsys):
    """check and run refuse with one line naming the key and the resolved path (exit 2, nothing
    written); with --allow-outside both go through, and the run writes only into --output."""
    key, name, text = CASES[what]
    path = tree / "case" / "plate.toml"
    path.write_text(text(_reference(tree, how, name)))
    resolved = tree.resolve() / "outside" / name
    output = tree / "out"
    for command in (["check", str(path)], ["run", str(path), "--output", str(output), "--quiet"]):
        assert main(command) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"{path}: {key}: resolves to {resolved}, outside the case file's "
                               f"folder tree {tree.resolve() / 'case'}")
        assert "--allow-outside" in line
    assert not output.exists()

    assert main(["check", str(path), "--allow-outside"]) == 0
    before = _files(tree)
    assert main(["run", str(path), "--output", str(output), "--quiet", "--allow-outside"]) == 0
    capsys.readouterr()
    after = _files(tree)
    written = {f for f in after if before.get(f) != after[f]}
    assert written and all(f.startswith("out/plate/") for f in written), written
    assert set(before) <= set(after)


def test_the_python_entry_point_takes_the_same_keyword(tree):
    path = tree / "case" / "plate.toml"
    path.write_text(_mesh_case("../outside/plate.obj"))
    with pytest.raises(CaseError, match=r"bodies\[0\]\.file: resolves to .*outside"):
        load_case(path)
    case = load_case(path, allow_outside=True)
    assert case.allow_outside and case.bodies[0].file == "../outside/plate.obj"


def test_files_inside_the_tree_need_no_flag(tree, capsys):
    """Subfolders and a symlink that stays inside the tree are fine; so is .. that comes back."""
    case = tree / "case"
    (case / "meshes").mkdir()
    (case / "meshes" / "plate.obj").write_text(BOX_OBJ)
    (case / "maps").symlink_to(case / "meshes", target_is_directory=True)
    path = case / "plate.toml"
    for written in ("meshes/plate.obj", "maps/plate.obj", "../case/meshes/plate.obj"):
        path.write_text(_mesh_case(written))
        assert main(["check", str(path)]) == 0, capsys.readouterr().err


def test_output_directory_is_relative_to_the_case_and_confined(tree, capsys, monkeypatch):
    """``[output] directory`` resolves against the case file (not the working directory) and
    must stay in its tree; --output overrides it and may be anywhere."""
    monkeypatch.chdir(tree / "outside")
    path = tree / "case" / "plate.toml"
    path.write_text(box_case(extra=FAST + 'directory = "runs"\n'))
    assert main(["run", str(path), "--quiet"]) == 0
    assert (tree / "case" / "runs" / "plate" / "summary.json").is_file()
    assert not (tree / "outside" / "runs").exists()

    path.write_text(box_case(extra=FAST + 'directory = "../elsewhere"\n'))
    for command in (["check", str(path)], ["run", str(path), "--quiet"]):
        assert main(command) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"{path}: output.directory: resolves to "
                               f"{tree.resolve() / 'elsewhere'}, outside")
    assert not (tree / "elsewhere").exists()
    assert main(["run", str(path), "--quiet", "--allow-outside"]) == 0
    assert (tree / "elsewhere" / "plate" / "summary.json").is_file()
    assert main(["run", str(path), "--quiet", "--output", str(tree / "anywhere")]) == 2
    capsys.readouterr()  # the case file itself is still wrong without the flag


def test_output_directory_naming_a_file_is_a_case_error(tree, capsys):
    path = tree / "case" / "plate.toml"
    (tree / "case" / "notes.txt").write_text("x")
    path.write_text(box_case(extra=FAST + 'directory = "notes.txt/runs"\n'))
    assert main(["check", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}: output.directory: {tree.resolve() / 'case' / 'notes.txt'} "
                           "is a file, not a folder")


@pytest.mark.parametrize("command", ["run", "scenarios"])
@pytest.mark.parametrize("where", ["the_file", "below_the_file"])
def test_output_naming_a_file_is_one_line_exit_2(command, where, tmp_path, capsys):
    """--output at an existing file (or below one) is the input's fault: one line, exit 2, the
    file untouched (it used to be NotADirectoryError, exit 1)."""
    blocking = tmp_path / "results.txt"
    blocking.write_text("keep me\n")
    output = blocking if where == "the_file" else blocking / "sub"
    case = ROOT / "cases" / ("gpu_die_conduction.toml" if command == "run"
                             else "rack_network.toml")
    assert main([command, str(case), "--output", str(output)]) == 2
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert line.startswith(f"{case}: --output: the results folder ")
    assert f"{blocking} is a file" in line
    assert blocking.read_text() == "keep me\n"


def test_a_rack_plate_case_outside_the_tree_is_refused_unless_allowed(tmp_path, capsys):
    """The plate case of a rack group, named with ../: refused; --allow-outside lets check load
    it (and its own files stay confined to its own folder)."""
    rack = tmp_path / "racks" / "rack.toml"
    rack.parent.mkdir()
    text = (ROOT / "cases" / "rack_coupled.toml").read_text()
    rack.write_text(text.replace('case = "rack_gpu_plate.toml"',
                                 'case = "../plates/rack_gpu_plate.toml"'))
    (tmp_path / "plates").mkdir()
    (tmp_path / "plates" / "rack_gpu_plate.toml").write_text(
        (ROOT / "cases" / "rack_gpu_plate.toml").read_text())
    assert main(["check", str(rack)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{rack}: network.rack.plates[0].case: resolves to "
                           f"{tmp_path.resolve() / 'plates' / 'rack_gpu_plate.toml'}, outside")
    assert main(["check", str(rack), "--allow-outside"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("name", ["mesh_ascii_stl_garbage", "power_map_binary_garbage"])
def test_a_file_that_is_not_what_it_should_be_is_not_echoed(name, capsys):
    """The garbage mesh and power map of the corpus hold a 'secret' line: never printed."""
    path = ROOT / "tests" / "case" / "bad_cases" / f"{name}.toml"
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "secret" not in err and "root:x" not in err


def test_a_system_file_as_power_map_is_refused_unread_and_unechoed(tmp_path, capsys):
    """``power_map = "/etc/passwd"``: outside the tree, so refused before it is opened; allowed
    outside, it is named as not a CSV grid, and none of its lines is printed."""
    system = Path("/etc/passwd")
    if not system.is_file():
        pytest.skip("no /etc/passwd on this machine")
    first = system.read_text(errors="replace").splitlines()[0]
    path = tmp_path / "plate.toml"
    path.write_text(_power_map_case(str(system)))
    for flags in ([], ["--allow-outside"]):
        assert main(["check", str(path), *flags]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert "chips[0].power_map" in line and first not in line
        assert ("outside the case file's folder tree" in line) == (not flags)



@pytest.mark.parametrize("kind", ["folder", "unreadable"])
def test_a_power_map_that_is_a_folder_or_unreadable_is_a_key_error(kind, tree, capsys,
                                                                    monkeypatch):
    """Exit 2 naming chips[0].power_map (an unreadable file used to end as 'run failed', exit 1;
    unreadable is simulated: the tests may run as root, who reads everything)."""
    import numpy as np

    path = tree / "case" / "plate.toml"
    if kind == "folder":
        (tree / "case" / "maps").mkdir()
        written, expected = "maps", "the power map is a folder"
    else:
        (tree / "case" / "map.csv").write_text("1, 2\n")
        written, expected = "map.csv", "cannot read the power map (Permission denied)"

        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied", "map.csv")

        monkeypatch.setattr(np, "loadtxt", denied)
    path.write_text(_power_map_case(written))
    assert main(["check", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}: chips[0].power_map: {expected}")
