"""The widget path with a real daemon, a real ipykernel, the Node SDK and the CLI."""
from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Dict, List

import pytest

import quire
import quire.aio
from conftest import TestDaemon, wait_for


def sliders(nb: quire.Session) -> List[quire.CommRecord]:
    return [w for w in nb.get_widgets() if w["modelName"] == "IntSliderModel"]


def kernel_value(nb: quire.Session, expr: str) -> str:
    result = nb.execute(f"print({expr})")
    assert result["status"] == "ok", result
    return "".join(str(o.get("text", "")) for o in result["outputs"]).strip()


def view_model_id(result: quire.ExecuteResult) -> str:
    for output in result["outputs"]:
        data: Dict[str, Any] = output.get("data", {})
        view = data.get("application/vnd.jupyter.widget-view+json")
        if view:
            return str(view["model_id"])
    raise AssertionError(f"no widget view in {result['outputs']}")


def test_a_slider_created_with_execute_appears_in_get_widgets(daemon: TestDaemon) -> None:
    with daemon.connect() as client:
        nb = client.open_notebook(daemon.notebook("created.ipynb"))
        result = nb.execute("import ipywidgets as w\ns = w.IntSlider(value=3, description='Größe')\ndisplay(s)")
        assert result["status"] == "ok", result
        nb.confirm_sync()
        widgets = nb.get_widgets()
        slider = next(w for w in widgets if w["id"] == view_model_id(result))
        assert slider["modelName"] == "IntSliderModel"
        assert slider["targetName"] == "jupyter.widget"
        assert slider["modelModule"] == "@jupyter-widgets/controls"
        assert slider["state"]["value"] == 3
        assert slider["state"]["description"] == "Größe"
        # seq order: the slider comes after the layout and style it references.
        by_id = {w["id"]: w for w in widgets}
        for ref in ("layout", "style"):
            referenced = by_id[slider["state"][ref].replace("IPY_MODEL_", "")]
            assert referenced["seq"] < slider["seq"]
        assert [w["seq"] for w in widgets] == sorted(w["seq"] for w in widgets)
        assert nb.get_kernel()["status"] in ("idle", "busy")


def test_a_node_sdk_update_appears_after_confirm_sync(daemon: TestDaemon) -> None:
    path = daemon.notebook("node-update.ipynb")
    with daemon.connect() as client:
        nb = client.open_notebook(path)
        nb.execute("import ipywidgets as w\ns = w.IntSlider(max=1000)")
        nb.confirm_sync()
        slider_id = sliders(nb)[0]["id"]
        node = daemon.node("update-widget.mts", path, slider_id, json.dumps({"value": 421}))
        assert node.returncode == 0, node.stderr
        nb.confirm_sync()
        assert nb.get_widget(slider_id)["state"]["value"] == 421  # type: ignore[index]
        wait_for(lambda: kernel_value(nb, "s.value") == "421", "the kernel to see 421")


def test_a_python_update_reaches_the_kernel_and_the_other_clients(daemon: TestDaemon) -> None:
    path = daemon.notebook("python-update.ipynb")
    with daemon.connect() as client, daemon.connect(client_name="pytest-other") as other_client:
        nb = client.open_notebook(path)
        other = other_client.open_notebook(path)
        nb.execute("import ipywidgets as w\ns = w.IntSlider()\nf = w.FloatSlider()")
        nb.confirm_sync()
        slider_id = sliders(nb)[0]["id"]
        float_id = next(w["id"] for w in nb.get_widgets() if w["modelName"] == "FloatSliderModel")
        assert nb.update_widget(slider_id, {"value": 17}) == ["value"]
        assert nb.update_widget(slider_id, {"value": 17}) == []  # same text: nothing written
        nb.update_widget(float_id, {"value": 0.25})
        assert nb.get_widget(slider_id)["state"]["value"] == 17  # type: ignore[index]
        nb.confirm_sent()
        wait_for(lambda: kernel_value(nb, "(s.value, f.value)") == "(17, 0.25)", "the kernel to see the new values")
        other.confirm_sync()
        assert other.get_widget(slider_id)["state"]["value"] == 17  # type: ignore[index]
        cli = {w["id"]: w for w in daemon.cli_widgets(path)}
        assert cli[slider_id]["state"]["value"] == 17
        assert cli[float_id]["state"]["value"] == 0.25


def test_get_widgets_matches_the_cli_exactly(daemon: TestDaemon) -> None:
    path = daemon.notebook("exact.ipynb")
    with daemon.connect() as client:
        nb = client.open_notebook(path)
        result = nb.execute(
            "import ipywidgets as w\n"
            "a = w.IntSlider(value=5, description='ü ✓ \"q\"')\n"
            "b = w.FloatSlider(value=0.5, min=-2.5, max=1e3, step=0.1)\n"
            "c = w.Dropdown(options=[('one', 1), ('two', 2)], value=2)\n"
            "t = w.Text(value='line\\nbreak 😀')\n"
            "box = w.VBox([a, b, c, t])\n"
            "display(box)\n"
            "a.value = 6\n"
            "c.close()"
        )
        assert result["status"] == "ok", result
        nb.confirm_sync()
        cli = daemon.cli_widgets(path)
        nb.confirm_sync()
        mine = nb.get_widgets()
        assert [w["id"] for w in mine] == [w["id"] for w in cli]
        assert mine == cli
        assert json.dumps(mine, sort_keys=True) == json.dumps(cli, sort_keys=True)
        assert not any(w["modelName"] == "DropdownModel" for w in mine)  # closed: gone from the doc


def test_custom_messages_arrive_and_never_appear_in_get_widgets(daemon: TestDaemon) -> None:
    path = daemon.notebook("custom.ipynb")
    with daemon.connect() as client, daemon.connect(client_name="pytest-other") as other_client:
        nb = client.open_notebook(path)
        other = other_client.open_notebook(path)
        nb.execute(
            "import ipywidgets as w\n"
            "s = w.IntSlider()\n"
            "got = []\n"
            "def on_msg(widget, content, buffers):\n"
            "    got.append(content)\n"
            "    widget.send({'echo': content, 'n': len(buffers)}, buffers=buffers)\n"
            "s.on_msg(on_msg)"
        )
        nb.confirm_sync()
        slider_id = sliders(nb)[0]["id"]
        before = nb.get_widgets()

        received: List[quire.CustomMessage] = []
        arrived = threading.Event()

        def on_custom(msg: quire.CustomMessage) -> None:
            received.append(msg)
            arrived.set()

        off = other.on_custom(on_custom)
        assert nb.send_custom(slider_id, {"hello": "custom-marker"}, [b"\x01\x02\x03"]) == {"sent": True}
        assert arrived.wait(20), "the kernel's custom reply did not arrive"
        off()
        msg = received[0]
        assert msg.comm_id == slider_id
        assert msg.content == {"echo": {"hello": "custom-marker"}, "n": 1}
        assert msg.buffers == [b"\x01\x02\x03"]
        assert kernel_value(nb, "got") == "[{'hello': 'custom-marker'}]"

        for session in (nb, other):
            session.confirm_sync()
            assert session.get_widgets() == before
            assert "custom-marker" not in json.dumps(session.get_widgets())
        assert "custom-marker" not in json.dumps(daemon.cli_widgets(path))


def test_update_widget_of_an_unknown_comm_says_so(daemon: TestDaemon) -> None:
    with daemon.connect() as client:
        nb = client.open_notebook(daemon.notebook("unknown.ipynb"))
        with pytest.raises(quire.UnknownWidgetError, match="no widget nope"):
            nb.update_widget("nope", {"value": 1})
        nb.execute("import ipywidgets as w\ns = w.IntSlider()")
        nb.confirm_sync()
        slider_id = sliders(nb)[0]["id"]
        with pytest.raises(TypeError, match="bytes is not JSON-serializable"):
            nb.update_widget(slider_id, {"value": b"x"})
        with pytest.raises(ValueError, match="NaN"):
            nb.update_widget(slider_id, {"value": float("nan")})
        assert nb.get_widget(slider_id)["state"]["value"] == 0  # type: ignore[index]


def test_the_async_session(daemon: TestDaemon) -> None:
    path = daemon.notebook("async.ipynb")

    async def main() -> None:
        async with await quire.aio.connect(env=daemon.env, autostart=False, client_name="pytest-aio") as client:
            nb = await client.open_notebook(path)
            outputs: List[Dict[str, Any]] = []
            result = await nb.execute("import ipywidgets as w\ns = w.IntSlider(value=2)\nprint('made')", on_output=outputs.append)
            assert result["status"] == "ok"
            assert outputs and outputs[0]["text"] == "made\n"
            await nb.confirm_sync()
            slider = [w for w in nb.get_widgets() if w["modelName"] == "IntSliderModel"][0]
            assert slider["state"]["value"] == 2
            nb.update_widget(slider["id"], {"value": 99})
            await nb.confirm_sent()
            for _ in range(100):
                printed = await nb.execute("print(s.value)")
                if printed["outputs"] and printed["outputs"][0]["text"] == "99\n":
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the kernel never saw 99")
            saved = await nb.save()
            assert saved["path"] == path
            await nb.close()

    asyncio.run(main())
    with open(path, encoding="utf-8") as f:
        state = json.load(f)["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["state"].get("value") == 99 for m in state.values())


def test_execute_errors_and_cells(daemon: TestDaemon, capsys: pytest.CaptureFixture[str]) -> None:
    with daemon.connect() as client:
        nb = client.open_notebook(daemon.notebook("errors.ipynb"))
        result = nb.execute("1/0")
        assert result["status"] == "error"
        assert result["error"]["ename"] == "ZeroDivisionError"
        with pytest.raises(TypeError):
            nb.execute()
        with pytest.raises(quire.RequestError) as info:
            nb.execute(cell_id="no-such-cell")
        assert info.value.code
        assert nb.get_cells() == []

        def broken(output: Dict[str, Any]) -> None:
            raise RuntimeError("a bug in a callback")

        assert nb.execute("print('still')", on_output=broken)["status"] == "ok"
        assert kernel_value(nb, "'alive'") == "alive"  # the connection survived the callback's bug
        assert "a bug in a callback" in capsys.readouterr().err
