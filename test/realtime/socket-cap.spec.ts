import { MeDocument } from '../generated/graphql';
import { newOrg } from '../support/factories';
import { startTestServer } from '../support/server';
import { connect, type Console } from '../support/ws';

describe('sockets per instance', () => {
  it('refuses sockets above MAX_SOCKETS with close code 1013, and keeps serving the others', async () => {
    const server = await startTestServer({ config: { maxSockets: 3 } });
    try {
      const org = await newOrg(server);
      const windows: Console[] = [];
      for (let i = 0; i < 3; i++) windows.push(await connect(server.wsUrl, org.admin.token));
      await expect(connect(server.wsUrl, org.admin.token)).rejects.toMatchObject({ code: 1013 });
      const { me } = await org.admin.api.ok(MeDocument);
      expect(me?.id).toBe(org.admin.staff.id);
      await windows[0]!.dispose();
      await new Promise((resolve) => setTimeout(resolve, 100));
      windows.push(await connect(server.wsUrl, org.admin.token)); // room again
      for (const window of windows) await window.dispose();
    } finally {
      await server.stop();
    }
  });
});
