"""A guard on the page's file input: files the app cannot take are refused in the browser.

Bokeh's `FileInput` reads the whole chosen file and sends it to the server in one websocket
message. A file over the server's message limit then closes the websocket (1009 "message too
big") and every later click of the page is lost until a reload. The guard listens, before
Bokeh does, to the input's ``change`` event: a file over `UploadGuard.limit` bytes, or an empty
one, is stopped there, the input is cleared, and only its name and size reach the server (the
`refused` parameter), which says in one sentence why.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import param
from panel.reactive import ReactiveHTML

_ATTACH = """
const accept = data.accept;
const guardInput = (input) => {
  input.addEventListener('change', (event) => {
    const file = input.files && input.files[0];
    if (!file || (file.size > 0 && file.size <= data.limit)) {
      return;
    }
    // A capture listener on the target runs before Bokeh's own: the file is never read.
    event.stopImmediatePropagation();
    input.value = '';
    state.count = (state.count || 0) + 1;
    data.refused = JSON.stringify([file.name, file.size, state.count]);
  }, {capture: true});
  input.dataset.zkfedGuard = '1';
};
const findInputs = (root, found) => {
  for (const input of root.querySelectorAll('input[type=file]')) {
    found.push(input);
  }
  for (const element of root.querySelectorAll('*')) {
    if (element.shadowRoot) {
      findInputs(element.shadowRoot, found);
    }
  }
  return found;
};
const attachAll = () => {
  for (const input of findInputs(document, [])) {
    if (input.accept === accept && !input.dataset.zkfedGuard) {
      guardInput(input);
    }
  }
};
attachAll();
state.timer = setInterval(attachAll, 500);
"""


class UploadGuard(ReactiveHTML):  # type: ignore[misc]
    """Refuse, in the browser, an empty file or one over `limit` bytes chosen in a file input.

    Parameters
    ----------
    limit : int
        Largest file, in bytes, the page may send.
    accept : str
        The ``accept`` attribute of the guarded input (``.csv,.npz``): it finds the input.
    """

    limit = param.Integer(default=0, bounds=(0, None), doc="Largest file accepted, in bytes.")
    accept = param.String(default="", doc="The accept attribute of the guarded file input.")
    refused = param.String(default="", doc="JSON [name, size, count] of the last refused file.")

    _template: ClassVar[str] = '<div id="zkfed_upload_guard" style="display: none"></div>'
    _scripts: ClassVar[dict[str, str]] = {
        "render": _ATTACH,
        "remove": "clearInterval(state.timer);",
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(height=0, margin=0, sizing_mode="fixed", width=0, **params)

    def refused_file(self) -> tuple[str, int] | None:
        """(name, size) of the last file refused, if any."""
        if not self.refused:
            return None
        name, size, _ = json.loads(self.refused)
        return str(name), int(size)
