"""Time functions (solver.schedules): values, breakpoints, scaling; checked against values worked
out by hand from each definition."""

import numpy as np
import pytest

from solver.schedules import (
    Constant,
    Ramp,
    SquareWave,
    Step,
    Table,
    as_schedule,
    breakpoints,
)


def test_values_by_hand():
    assert Constant(3.0)(12.0) == 3.0
    assert Step(1.0, 2.0, 3.0)(2.999) == 1.0 and Step(1.0, 2.0, 3.0)(3.0) == 2.0
    ramp = Ramp(10.0, 20.0, start=1.0, duration=4.0)
    np.testing.assert_allclose(ramp(np.array([0.0, 1.0, 2.0, 5.0, 9.0])),
                               [10.0, 10.0, 12.5, 20.0, 20.0])
    table = Table((0.0, 1.0, 3.0), (0.0, 10.0, 0.0))
    np.testing.assert_allclose(table(np.array([-1.0, 0.5, 2.0, 4.0])), [0.0, 5.0, 5.0, 0.0])


def test_square_wave_is_high_for_its_duty_from_start():
    wave = SquareWave(low=100.0, high=1000.0, period=10.0, duty=0.3, start=5.0)
    t = np.array([0.0, 5.0, 7.99, 8.0, 14.99, 15.0, 18.5])
    np.testing.assert_allclose(wave(t), [100, 1000, 1000, 100, 100, 1000, 100])
    assert wave.breakpoints(20.0) == (5.0, 8.0, 15.0, 18.0)


def test_breakpoints_union_and_scaling():
    power = 700.0 * Step(0.2, 1.0, 2.0)
    assert power(1.0) == pytest.approx(140.0) and power(2.0) == 700.0
    assert breakpoints([power, Ramp(0, 1, 1.0, 0.5), 5.0], 10.0) == (1.0, 1.5, 2.0)
    assert as_schedule(4.0).is_constant() and not power.is_constant()
    assert power.describe()["factor"] == 700.0


def test_extremes_over_a_run_by_hand():
    """Lowest and highest value over [0, t_end]: a step seen before and after it, a ramp cut by
    the end of the run (10 + 10 (3 - 1) / 4 = 15 at t = 3 s), a table peaking at a point in
    between, a square wave that has not started by the end."""
    assert Step(30.0, 120.0, 5.0).extremes(10.0) == (30.0, 120.0)
    assert Step(30.0, 120.0, 5.0).extremes(4.0) == (30.0, 30.0)
    assert Ramp(10.0, 20.0, start=1.0, duration=4.0).extremes(3.0) == (10.0, 15.0)
    assert Table((0.0, 1.0, 3.0), (0.0, 10.0, 0.0)).extremes(5.0) == (0.0, 10.0)
    assert SquareWave(100.0, 1000.0, 10.0, 0.3, start=5.0).extremes(4.0) == (100.0, 100.0)
    assert (700.0 * Step(0.2, 1.0, 2.0)).extremes(3.0) == pytest.approx((140.0, 700.0))


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="increase"):
        Table((0.0, 0.0), (1.0, 2.0))
    with pytest.raises(ValueError, match="duty"):
        SquareWave(0.0, 1.0, period=1.0, duty=1.0)
    with pytest.raises(ValueError, match="duration"):
        Ramp(0.0, 1.0, duration=0.0)
