"""Filter input: every bad value names its field; good input builds the expected spec."""
import pytest

from query.lang.filters import Filters
from records.errors import FilterError


@pytest.mark.parametrize("data, field", [
    ({"near": "Atlantis-on-Sea"}, "near"),
    ({"radius_km": 10}, "radius_km"),
    ({"near": "Berlin", "radius_km": -5}, "radius_km"),
    ({"lat": 95, "lon": 0}, "lat"),
    ({"lat": 10, "lon": "x"}, "lon"),
    ({"min_years": 10, "max_years": 2}, "min_years"),
    ({"min_years": "five"}, "min_years"),
    ({"seniority": ["wizard"]}, "seniority"),
    ({"open_to_work": "yes"}, "open_to_work"),
    ({"active_within_days": -1}, "active_within_days"),
    ({"current_company": [""]}, "current_company"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_filters_name_the_field(data, field):
    with pytest.raises(FilterError) as err:
        Filters.from_dict(data)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}:")


def test_city_resolves_and_defaults_radius():
    f = Filters.from_dict({"near": "Berlin"})
    assert f.near.label == "Berlin, DE"
    assert f.near.radius_km == 50.0
    assert abs(f.near.lat - 52.52) < 0.1


def test_point_and_lists():
    f = Filters.from_dict({"lat": 40.7, "lon": -74.0, "radius_km": 25, "seniority": "senior",
                           "current_company": "Acme", "open_to_work": True}, tenant_id="t1")
    assert (f.near.lat, f.near.lon, f.near.radius_km) == (40.7, -74.0, 25.0)
    assert f.seniority == ("senior",) and f.current_company == ("Acme",)
    assert f.tenant_id == "t1" and not f.is_empty
    assert Filters.from_dict({}).is_empty
