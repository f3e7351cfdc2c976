// The widget gallery (resources/gallery.ipynb): every ipywidgets 8 family renders in two
// windows; a person's interaction in one window reaches the kernel; a kernel-side change
// reaches both windows. One notebook run serves every family (steps), to keep the suite
// affordable on two cores; a failing step names its family.
import { test, expect } from './fixtures/quire';
import { family, kernel, openGallery } from './fixtures/gallery';

test('gallery: every family renders in two windows, reaches the kernel and follows it', async ({ quire }, testInfo) => {
  test.setTimeout(240_000);
  const [one, two] = await openGallery(quire);
  const both = [one, two];
  const consoleErrors: string[] = [];
  for (const win of both) win.page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));

  await one.page.screenshot({ path: testInfo.outputPath('gallery.png'), fullPage: true });
  await testInfo.attach('gallery', { path: testInfo.outputPath('gallery.png'), contentType: 'image/png' });

  await test.step('numbers: sliders, range sliders, texts, progress', async () => {
    for (const win of both) {
      const f = family(win, 'numbers');
      await expect(f.getByRole('slider')).toHaveCount(7); // 3 single + 2 ranges × 2 handles
      await expect(f.locator('.progress-bar')).toHaveCount(2);
      await expect(f.getByLabel('Int text')).toHaveValue('7');
    }
    const slider = family(one, 'numbers').getByRole('slider').first();
    await slider.focus();
    await slider.press('ArrowRight');
    await family(one, 'numbers').getByLabel('Bounded int').fill('8');
    await family(one, 'numbers').getByLabel('Bounded int').press('Enter');
    await expect.poll(() => kernel(quire, 'print(int_slider.value, bounded_int.value)')).toBe('6 8');
    await kernel(quire, 'int_slider.value = 2; int_range.value = (1, 9); float_text.value = 4.25; int_progress.value = 10');
    for (const win of both) {
      const f = family(win, 'numbers');
      await expect.poll(async () => Number(await f.getByRole('slider').first().getAttribute('aria-valuenow'))).toBe(2);
      await expect(f.getByLabel('Float text')).toHaveValue('4.25');
      await expect(f.getByLabel('Bounded int')).toHaveValue('8');
      await expect(f.getByText('1 – 9').or(f.getByText('1 - 9'))).toBeVisible();
    }
  });

  await test.step('booleans: ToggleButton (with its Font Awesome icon), Checkbox, Valid', async () => {
    for (const win of both) {
      await expect(family(win, 'booleans').getByRole('checkbox')).not.toBeChecked();
      // The icon font is bundled and loaded (no CDN): the glyph is not a fallback box.
      await expect
        .poll(() => win.page.evaluate(async () => (await document.fonts.load('14px FontAwesome')).length))
        .toBeGreaterThan(0);
      await expect(family(win, 'booleans').locator('i.fa-check').first()).toHaveCSS('font-family', 'FontAwesome');
    }
    await family(one, 'booleans').getByRole('button', { name: 'Toggle' }).click();
    await family(one, 'booleans').getByRole('checkbox').check();
    await expect.poll(() => kernel(quire, 'print(toggle.value, check.value)')).toBe('True True');
    await kernel(quire, 'check.value = False; valid.value = False; toggle.value = False');
    for (const win of both) {
      await expect(family(win, 'booleans').getByRole('checkbox')).not.toBeChecked();
      await expect(family(win, 'booleans').locator('.widget-valid')).toHaveClass(/mod-invalid/);
      await expect(family(win, 'booleans').getByRole('button', { name: 'Toggle' })).not.toHaveClass(/mod-active/);
    }
  });

  await test.step('selection: Dropdown, RadioButtons, Select(Multiple), SelectionSlider/RangeSlider, ToggleButtons', async () => {
    const f1 = family(one, 'selection');
    await f1.getByLabel('Dropdown').selectOption('cherry');
    await f1.getByRole('radio', { name: 'damson' }).check();
    await f1.getByRole('button', { name: 'banana' }).click();
    await expect
      .poll(() => kernel(quire, 'print(dropdown.value, radio.value, toggle_buttons.value)'))
      .toBe('cherry damson banana');
    await kernel(quire, "dropdown.value = 'banana'; select.value = 'apple'; select_multiple.value = ('banana', 'damson'); selection_slider.value = 'cherry'");
    for (const win of both) {
      const f = family(win, 'selection');
      await expect(f.getByLabel('Dropdown')).toHaveValue('banana');
      await expect(f.getByLabel('Select', { exact: true })).toHaveValue('apple');
      await expect.poll(() => f.getByLabel('Select many').evaluate((s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value).join(','))).toBe('banana,damson');
      await expect(f.locator('.widget-readout').filter({ hasText: /^cherry$/ })).toBeVisible();
      await expect(f.getByRole('radio', { name: 'damson' })).toBeChecked();
    }
  });

  await test.step('strings: Text, Textarea, Combobox, Password, Label, HTML, HTMLMath (KaTeX)', async () => {
    const f1 = family(one, 'strings');
    await f1.getByLabel('Text', { exact: true }).fill('typed in window one');
    await f1.getByLabel('Password').fill('s3cret');
    await f1.getByLabel('Combobox').fill('cherry');
    await f1.getByLabel('Combobox').press('Enter');
    await expect.poll(() => kernel(quire, 'print(text.value, password.value, combobox.value, sep="|")')).toBe('typed in window one|s3cret|cherry');
    await kernel(quire, "textarea.value = 'set by\\nthe kernel'; label.value = 'Label from kernel'; html.value = '<i class=\"gallery-html-italic\">italic</i>'");
    for (const win of both) {
      const f = family(win, 'strings');
      await expect(f.getByLabel('Text', { exact: true })).toHaveValue('typed in window one');
      await expect(f.getByLabel('Textarea')).toHaveValue('set by\nthe kernel');
      await expect(f.getByText('Label from kernel')).toBeVisible();
      await expect(f.locator('i.gallery-html-italic')).toHaveText('italic');
      await expect(f.locator('.widget-htmlmath .katex').first()).toBeVisible();
    }
  });

  await test.step('media: Image bytes via the blob store, Video, Audio', async () => {
    for (const win of both) {
      const f = family(win, 'media');
      await expect.poll(() => f.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(2);
      await expect(f.locator('video')).toHaveCount(1);
      await expect(f.locator('audio')).toHaveCount(1);
    }
    await kernel(quire, 'image.width = 48; video.loop = True');
    for (const win of both) {
      await expect(family(win, 'media').locator('img')).toHaveAttribute('width', '48');
      await expect(family(win, 'media').locator('video')).toHaveJSProperty('loop', true);
    }
  });

  await test.step('buttons: clicks reach on_click; ButtonStyle; ColorPicker', async () => {
    const button = family(one, 'buttons').getByRole('button', { name: 'Click me' });
    await expect(button).toHaveCSS('background-color', 'rgb(119, 170, 187)');
    await button.click();
    await family(two, 'buttons').getByRole('button', { name: 'Click me' }).click();
    await expect.poll(() => kernel(quire, 'print(clicks)')).toBe('[1, 2]');
    const colour = family(one, 'buttons').locator('input[type="text"]');
    await colour.fill('#00ff00');
    await colour.press('Enter');
    await expect.poll(() => kernel(quire, 'print(color.value)')).toBe('#00ff00');
    await kernel(quire, "color.value = '#0000ff'; button.description = 'Clicked twice'");
    for (const win of both) {
      await expect(family(win, 'buttons').locator('input[type="text"]')).toHaveValue('#0000ff');
      await expect(family(win, 'buttons').getByRole('button', { name: 'Clicked twice' })).toBeVisible();
    }
  });

  await test.step('dates: DatePicker, TimePicker, NaiveDatetimePicker, DatetimePicker', async () => {
    for (const win of both) {
      await expect(family(win, 'dates').getByLabel('Date', { exact: true })).toHaveValue('2024-02-29');
      await expect(family(win, 'dates').getByLabel('Time', { exact: true })).toHaveValue(/^13:45/);
    }
    await family(one, 'dates').getByLabel('Date', { exact: true }).fill('2025-01-02');
    await expect.poll(() => kernel(quire, 'print(date.value)')).toBe('2025-01-02');
    await kernel(quire, 'time.value = datetime.time(9, 30); naive.value = datetime.datetime(2023, 7, 1, 8, 5)');
    for (const win of both) {
      const f = family(win, 'dates');
      await expect(f.getByLabel('Date', { exact: true })).toHaveValue('2025-01-02');
      await expect(f.getByLabel('Time', { exact: true })).toHaveValue(/^09:30/);
      await expect(f.getByLabel('Naive datetime')).toHaveValue('2023-07-01T08:05');
    }
  });

  await test.step('containers: Box/HBox/VBox/GridBox, TwoByTwo, AppLayout, Tab, Accordion, Stack', async () => {
    for (const win of both) {
      const f = family(win, 'containers');
      for (const name of ['box a', 'hbox b', 'vbox a', 'grid 3', 'top left', 'bottom right', 'header', 'center', 'footer']) {
        await expect(f.getByRole('button', { name, exact: true })).toBeVisible();
      }
      // Layout: the GridBox's template columns reached the DOM.
      await expect(f.locator('.widget-gridbox').first()).toHaveCSS('grid-template-columns', '100px 100px');
      await expect(f.getByText('first tab body')).toBeVisible();
      await expect(f.getByText('stack page 0')).toBeVisible();
    }
    await family(one, 'containers').getByText('Two', { exact: true }).click();
    await expect.poll(() => kernel(quire, 'print(tab.selected_index)')).toBe('1');
    await kernel(quire, 'stack.selected_index = 1; accordion.selected_index = 1');
    for (const win of both) {
      const f = family(win, 'containers');
      await expect(f.getByText('second tab body')).toBeVisible();
      await expect(f.getByText('stack page 1')).toBeVisible();
      await expect(f.getByText('stack page 0')).toBeHidden();
      await expect(f.getByText('second fold body')).toBeVisible();
    }
  });

  await test.step('controller: without a gamepad it shows its own placeholder', async () => {
    for (const win of both) await expect(family(win, 'controller')).toContainText('Connect gamepad');
  });

  await test.step('Output and interact', async () => {
    for (const win of both) await expect(win.page.locator('.widget-output').getByText('printed inside an Output widget')).toBeVisible();
    const n = one.page.locator('.widget-interact').getByRole('slider');
    await n.focus();
    await n.press('ArrowRight');
    for (const win of both) await expect(win.page.locator('.widget-interact')).toContainText('4 squared is 16');
    await kernel(quire, "with out:\n    out.clear_output(wait=True)\n    print('replaced by the kernel')");
    for (const win of both) {
      await expect(win.page.locator('.widget-output').getByText('replaced by the kernel')).toBeVisible();
      await expect(win.page.locator('.widget-output').getByText('printed inside an Output widget')).toBeHidden();
    }
  });

  await one.page.screenshot({ path: testInfo.outputPath('gallery-after.png'), fullPage: true });
  expect(consoleErrors.filter((e) => /Quire widgets/.test(e))).toEqual([]);
});
