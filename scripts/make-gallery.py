"""Writes resources/gallery.ipynb: every ipywidgets 8 control, one cell per family.

Run with any Python (no Jupyter needed): `python3 scripts/make-gallery.py`. Each family's
container gets a `gallery-<family>` class so tests (e2e/widget-gallery.spec.ts) and people
can find it; descriptions are unique so controls can be found by their label.
"""
import json
import pathlib

CELLS = [
    ("markdown", """# Quire widget gallery

Every ipywidgets 8 control, one cell per family. Run all, then open a second window: both
show the same widgets, and a change in one reaches the kernel and the other."""),
    ("code", """import ipywidgets as w
import base64, datetime

log = []  # what the kernel's observers saw, newest last

def watch(widget, name='value'):
    widget.observe(lambda change: log.append((widget.description or type(widget).__name__, change['new'])), names=name)
    return widget

# Layout and Style models: shared by several widgets through IPY_MODEL_ references.
wide = w.Layout(width='360px')
label_style = {'description_width': '120px'}"""),
    ("code", """# Numbers
int_slider = watch(w.IntSlider(value=5, min=0, max=10, description='Int slider', layout=wide, style=label_style))
float_slider = watch(w.FloatSlider(value=2.5, min=0, max=5, step=0.5, description='Float slider', layout=wide, style=label_style))
log_slider = watch(w.FloatLogSlider(value=10, base=10, min=-1, max=3, description='Log slider', layout=wide, style=label_style))
int_range = watch(w.IntRangeSlider(value=[2, 6], min=0, max=10, description='Int range', layout=wide, style=label_style))
float_range = watch(w.FloatRangeSlider(value=[1.0, 3.0], min=0, max=5, step=0.5, description='Float range', layout=wide, style=label_style))
int_text = watch(w.IntText(value=7, description='Int text', layout=wide, style=label_style))
float_text = watch(w.FloatText(value=1.5, description='Float text', layout=wide, style=label_style))
bounded_int = watch(w.BoundedIntText(value=3, min=0, max=9, description='Bounded int', layout=wide, style=label_style))
bounded_float = watch(w.BoundedFloatText(value=0.5, min=0, max=1, step=0.1, description='Bounded float', layout=wide, style=label_style))
int_progress = w.IntProgress(value=4, min=0, max=10, description='Int progress', layout=wide, style=label_style)
float_progress = w.FloatProgress(value=0.75, min=0, max=1, bar_style='success', description='Float progress', layout=wide, style=label_style)
numbers = w.VBox([int_slider, float_slider, log_slider, int_range, float_range, int_text, float_text,
                  bounded_int, bounded_float, int_progress, float_progress])
numbers.add_class('gallery-numbers')
numbers"""),
    ("code", """# Booleans
toggle = watch(w.ToggleButton(value=False, description='Toggle', icon='check', tooltip='a ToggleButton'))
check = watch(w.Checkbox(value=False, description='Check me'))
valid = w.Valid(value=True, description='Valid')
booleans = w.HBox([toggle, check, valid])
booleans.add_class('gallery-booleans')
booleans"""),
    ("code", """# Selection
fruits = ['apple', 'banana', 'cherry', 'damson']
dropdown = watch(w.Dropdown(options=fruits, value='apple', description='Dropdown', style=label_style))
radio = watch(w.RadioButtons(options=fruits, value='banana', description='Radio', style=label_style))
select = watch(w.Select(options=fruits, value='cherry', rows=4, description='Select', style=label_style))
select_multiple = watch(w.SelectMultiple(options=fruits, value=['apple'], rows=4, description='Select many', style=label_style))
selection_slider = watch(w.SelectionSlider(options=fruits, value='apple', description='Pick slider', layout=wide, style=label_style))
selection_range = watch(w.SelectionRangeSlider(options=fruits, index=(0, 2), description='Pick range', layout=wide, style=label_style))
toggle_buttons = watch(w.ToggleButtons(options=fruits, value='apple', description='Toggles', style={'button_width': '70px'}))
selection = w.VBox([dropdown, radio, select, select_multiple, selection_slider, selection_range, toggle_buttons])
selection.add_class('gallery-selection')
selection"""),
    ("code", """# Strings
text = watch(w.Text(value='hello', description='Text', style=label_style))
textarea = watch(w.Textarea(value='two\\nlines', description='Textarea', style=label_style))
combobox = watch(w.Combobox(options=fruits, value='', placeholder='type a fruit', description='Combobox', style=label_style))
password = watch(w.Password(value='', description='Password', style=label_style))
label = w.Label(value='A Label')
html = w.HTML(value='<b class="gallery-html-bold">bold HTML</b>', description='HTML')
html_math = w.HTMLMath(value=r'Math: $x^2 + y^2 = z^2$', description='HTMLMath')
strings = w.VBox([text, textarea, combobox, password, label, html, html_math])
strings.add_class('gallery-strings')
strings"""),
    ("code", """# Media: a 2x2 PNG, and tiny (silent, not playable) Video/Audio values, as bytes
PNG_RED = base64.b64decode(
    'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==')
image = w.Image(value=PNG_RED, format='png', width=64, height=64)
video = w.Video(value=b'\\x00\\x00\\x00\\x18ftypmp42', format='mp4', width=160, autoplay=False, loop=False, controls=True)
audio = w.Audio(value=b'RIFF\\x24\\x00\\x00\\x00WAVE', format='wav', autoplay=False, loop=False, controls=True)
media = w.HBox([image, video, audio])
media.add_class('gallery-media')
media"""),
    ("code", """# Buttons and colour
clicks = []
button = w.Button(description='Click me', icon='check', button_style='info', tooltip='counts clicks')
button.style.button_color = '#7ab'
button.on_click(lambda b: clicks.append(len(clicks) + 1))
color = watch(w.ColorPicker(value='#ff0000', description='Colour', concise=False))
buttons = w.HBox([button, color])
buttons.add_class('gallery-buttons')
buttons"""),
    ("code", """# Dates and times
date = watch(w.DatePicker(value=datetime.date(2024, 2, 29), description='Date'))
time = watch(w.TimePicker(value=datetime.time(13, 45), description='Time'))
naive = watch(w.NaiveDatetimePicker(value=datetime.datetime(2024, 2, 29, 13, 45), description='Naive datetime'))
aware = watch(w.DatetimePicker(value=datetime.datetime(2024, 2, 29, 13, 45, tzinfo=datetime.timezone.utc), description='Datetime'))
dates = w.VBox([date, time, naive, aware])
dates.add_class('gallery-dates')
dates"""),
    ("code", """# Files: uploaded bytes reach the kernel as value[i].content
upload = w.FileUpload(accept='', multiple=False, description='Upload')
upload.observe(lambda change: log.append(('Upload', [(f['name'], bytes(f['content'])) for f in change['new']])), names='value')
files = w.HBox([upload])
files.add_class('gallery-files')
files"""),
    ("code", """# Play (front-end driven) linked to a slider in the front end (jslink: no kernel round-trip)
play = w.Play(value=0, min=0, max=1000, step=1, interval=200, description='Play')
play_slider = w.IntSlider(min=0, max=1000, description='Frame', layout=wide)
play_link = w.jslink((play, 'value'), (play_slider, 'value'))
# jsdlink: one direction only, source -> target
source_text = w.IntText(value=1, description='Source')
target_text = w.IntText(value=0, description='Target')
text_link = w.jsdlink((source_text, 'value'), (target_text, 'value'))
animation = w.VBox([w.HBox([play, play_slider]), w.HBox([source_text, target_text])])
animation.add_class('gallery-animation')
animation"""),
    ("code", """# Containers: Box/HBox/VBox/GridBox, TwoByTwoLayout, AppLayout, Tab, Accordion, Stack
def tile(name):
    return w.Button(description=name, layout=w.Layout(width='auto', height='auto'))

box = w.Box([tile('box a'), tile('box b')])
hbox = w.HBox([tile('hbox a'), tile('hbox b')])
vbox = w.VBox([tile('vbox a'), tile('vbox b')])
grid = w.GridBox([tile(f'grid {i}') for i in range(4)], layout=w.Layout(grid_template_columns='repeat(2, 100px)'))
two_by_two = w.TwoByTwoLayout(top_left=tile('top left'), top_right=tile('top right'), bottom_left=tile('bottom left'), bottom_right=tile('bottom right'))
app_layout = w.AppLayout(header=tile('header'), left_sidebar=tile('left'), center=tile('center'), right_sidebar=tile('right'), footer=tile('footer'))
tab = w.Tab(children=[w.Label('first tab body'), w.Label('second tab body')], titles=('One', 'Two'))
accordion = w.Accordion(children=[w.Label('first fold body'), w.Label('second fold body')], titles=('Fold A', 'Fold B'))
stack = w.Stack([w.Label('stack page 0'), w.Label('stack page 1')], selected_index=0)
containers = w.VBox([box, hbox, vbox, grid, two_by_two, app_layout, tab, accordion, stack])
containers.add_class('gallery-containers')
containers"""),
    ("code", """# Controller: needs a gamepad; without one it shows a placeholder text
controller = w.Controller(index=0)
gamepad = w.VBox([controller])
gamepad.add_class('gallery-controller')
gamepad"""),
    ("code", """# Output and interact
out = w.Output()
with out:
    print('printed inside an Output widget')

@w.interact(n=(0, 10))
def squared(n=3):
    print(f'{n} squared is {n * n}')
out"""),
]


def cell(i, kind, source):
    lines = source.splitlines(keepends=True)
    base = {"cell_type": kind, "id": f"gallery-{i:02d}", "metadata": {}, "source": lines}
    if kind == "code":
        base.update({"execution_count": None, "outputs": []})
    return base


nb = {
    "cells": [cell(i, k, s) for i, (k, s) in enumerate(CELLS)],
    "metadata": {
        "kernelspec": {"display_name": "Python 3 (Quire)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
out = pathlib.Path(__file__).resolve().parent.parent / "resources" / "gallery.ipynb"
out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {out}")
