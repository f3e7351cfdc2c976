// The Node SDK as a second, independent client: opens the notebook with its own replica,
// changes widget traits, and waits until the daemon holds the change.
//   node --import tsx python/tests/node/update-widget.mts <notebook> <commId> '<patch JSON>'
import { connect } from '../../../src-client/sdk/index';

const [path, commId, patchJson] = process.argv.slice(2);
if (!path || !commId || !patchJson) throw new Error('usage: update-widget.mts <notebook> <commId> <patch JSON>');
const client = await connect({ autostart: false, clientName: 'pytest-node-sdk' });
try {
  const nb = await client.openNotebook(path);
  nb.updateWidget(commId, JSON.parse(patchJson) as Record<string, unknown>);
  await nb.confirmSent();
  process.stdout.write(JSON.stringify(nb.getWidgets().find((w) => w.id === commId)?.state ?? null) + '\n');
} finally {
  await client.close();
}
