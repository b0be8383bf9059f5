"""Tool documents: StableToolBench api_list, OpenAPI and JSON-Schema functions into ApiSpec; strict validation
with one clear issue per malformed API while the rest is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from past.tools import ApiSpec, ingest_tool_bytes, ingest_tool_files, ingest_tool_json
from past.tools.schema import function_name
from tests.tool_fixtures import FUNCTIONS, OPENAPI, PARCEL_APIS, PARCEL_QUERY


def test_function_names_follow_toolbench() -> None:
    assert function_name("suivi-colis", "Latest") == "latest_for_suivi_colis"
    assert function_name("Reqres - dont change!", "User by id") == "user_by_id_for_reqres_dont_change"
    assert function_name("x", "2fa code") == "get_2fa_code_for_x"
    assert len(function_name("t" * 80, "a" * 80)) == 64


def test_stabletoolbench_entries_and_query_files() -> None:
    bare = ingest_tool_json(PARCEL_APIS, "parcel.json")
    assert not bare.issues
    latest, count = bare.apis
    assert (latest.function, latest.category, latest.method) == ("latest_for_suivi_colis", "Logistics", "GET")
    assert [(p.name, p.type, p.default) for p in latest.required] == [("colisId", "string", "CA107308006SI")]
    assert [(p.name, p.type) for p in count.optional] == [("verbose", "boolean")]
    assert count.template_response == {"nbSteps": "int"}
    from_query = ingest_tool_json([PARCEL_QUERY], "queries.json")
    assert [a.function for a in from_query.apis] == [a.function for a in bare.apis]
    assert ApiSpec.from_dict(json.loads(json.dumps(latest.to_dict()))) == latest


def test_openapi_paths_parameters_bodies_and_refs() -> None:
    result = ingest_tool_json(OPENAPI, "weather.json")
    assert not result.issues
    forecast, alerts = result.apis
    assert (forecast.tool, forecast.name, forecast.category, forecast.path) == (
        "Weather Desk",
        "getForecast",
        "Weather",
        "/forecast/{city}",
    )
    assert [p.name for p in forecast.required] == ["city"]
    assert [(p.name, p.type, p.default) for p in forecast.optional] == [("days", "integer", 3)]
    assert forecast.template_response == {"city": "str", "temp_c": "float", "days": "int"}
    assert alerts.method == "POST" and [p.name for p in alerts.required] == ["email"]
    assert alerts.optional[0].type == "enum" and alerts.optional[0].enum == ("low", "high")
    assert alerts.template_response == {"subscribed": True}


def test_json_schema_functions_plain_and_wrapped() -> None:
    result = ingest_tool_json(FUNCTIONS, "fx.json")
    assert not result.issues
    convert, listing = result.apis
    assert convert.tool == "fx" and convert.function == "convert_currency_for_fx"
    assert [p.name for p in convert.required] == ["amount", "from", "to"] and convert.required[0].type == "number"
    assert listing.params == ()


def test_malformed_apis_are_issues_and_the_rest_is_kept() -> None:
    entries = [
        PARCEL_APIS[0],
        {"tool_name": "t", "api_description": "no api name"},
        {
            "tool_name": "t",
            "api_name": "dup",
            "required_parameters": [{"name": "a"}],
            "optional_parameters": [{"name": "a"}],
        },
        {"tool_name": "t", "api_name": "p", "required_parameters": "colisId"},
        {"tool_name": "t", "api_name": "q", "required_parameters": [{"type": "STRING"}]},
        "just a string",
    ]
    result = ingest_tool_json(entries, "mixed.json")
    assert [a.name for a in result.apis] == ["Latest"]
    messages = [str(i) for i in result.issues]
    assert messages[0] == "mixed.json: [1]: the API of tool 't' has no 'api_name'"
    assert "t / dup: parameter(s) listed twice: a" in messages[1]
    assert "'required_parameters' must be a list of parameters, not str" in messages[2]
    assert "required_parameters[0] has no 'name'" in messages[3]
    assert messages[4].startswith("mixed.json: [5]: not a recognised tool document")


def test_broken_openapi_operations_and_refs() -> None:
    bad = json.loads(json.dumps(OPENAPI))
    bad["paths"]["/forecast/{city}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"
    }
    bad["paths"]["/alerts"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] = ["phone"]
    result = ingest_tool_json(bad, "weather.json")
    assert result.apis == []
    assert [str(i) for i in result.issues] == [
        "weather.json: paths./forecast/{city}.get: $ref '#/components/schemas/Missing' points at nothing",
        "weather.json: paths./alerts.post: requestBody.required names properties that are not defined: phone",
    ]
    assert str(ingest_tool_json({"openapi": "3.0.0", "paths": {}}, "e.json").issues[0]) == (
        "e.json: paths: an OpenAPI document needs a non-empty 'paths' object"
    )


def test_files_that_are_not_json_or_empty(tmp_path: Path) -> None:
    assert str(ingest_tool_bytes(b"\xff\xfe\x00", "bin.json").issues[0]) == (
        "bin.json: not UTF-8 text; tool documents must be JSON"
    )
    assert str(ingest_tool_bytes(b"openapi: 3.0.0\n", "spec.yaml").issues[0]).startswith(
        "spec.yaml: line 1 column 1: not valid JSON"
    )
    assert str(ingest_tool_bytes(b"[]", "e.json").issues[0]) == "e.json: the file holds an empty list: no APIs"
    good = tmp_path / "parcel.json"
    good.write_text(json.dumps(PARCEL_APIS))
    clash = tmp_path / "clash.json"
    changed = dict(PARCEL_APIS[0], api_description="something else")
    clash.write_text(json.dumps([changed, PARCEL_APIS[1]]))
    result = ingest_tool_files([good, clash, tmp_path / "missing.json"])
    assert [a.function for a in result.apis] == ["latest_for_suivi_colis", "count_for_suivi_colis"]
    assert str(result.issues[0]).startswith("missing.json: cannot read the file")
    assert "function name 'latest_for_suivi_colis' is already used" in str(result.issues[1])
    assert len(result.issues) == 2  # the identical Count API is no issue


@pytest.mark.parametrize("form", ["toolbench", "openapi", "functions"])
def test_every_form_gives_documents_that_round_trip(form: str) -> None:
    document = {"toolbench": PARCEL_APIS, "openapi": OPENAPI, "functions": FUNCTIONS}[form]
    for api in ingest_tool_json(document, "x.json").apis:
        text = api.document()
        assert api.function in text and json.loads(text)["api_name"] == api.name
        assert ApiSpec.from_dict(api.to_dict()) == api
