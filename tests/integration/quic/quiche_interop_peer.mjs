// The quiche side of the gquic <-> quiche interop test (package @matrixai/quic, quiche inside).
// Copied next to its node_modules by quiche_interop_test.sh and run as:
//   node peer.mjs client <port> <ca.pem>                 echo checks against a gquic server
//   node peer.mjs server <port-file> <cert.pem> <key.pem>  echo server for a gquic client
// ALPN "gquic-echo". Streams are echoed byte for byte and finished; DATAGRAM frames are echoed
// through the underlying quiche connection (the package's own API has no datagram calls).
// Exit code 0 on success, 1 on a failed check, 2 on the internal hang guard.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { QUICClient, QUICServer, events } from '@matrixai/quic';

const ALPN = ['gquic-echo'];
const BAD_CERTIFICATE = 298;  // quiche CryptoError.BadCertificate (0x100 + TLS alert 42)
const hangGuard = setTimeout(() => {
  console.error('quiche peer: hang guard (45 s) expired');
  process.exit(2);
}, 45000);

const baseConfig = {
  applicationProtos: ALPN,
  maxIdleTimeout: 20000,
  enableDgram: [true, 1000, 1000],
};

function finish(code, message) {
  clearTimeout(hangGuard);
  (code === 0 ? console.log : console.error)(message);
  process.exit(code);
}

// Polls the quiche connection's datagram queue (quiche has no datagram event in this package).
function onDatagrams(connection, handler) {
  const timer = setInterval(() => {
    for (;;) {
      let d = null;
      try {
        d = connection.conn.dgramRecvVec();
      } catch {
        d = null;
      }
      if (d == null) break;
      handler(Buffer.from(d));
    }
  }, 5);
  return () => clearInterval(timer);
}

async function sendDatagram(connection, data) {
  connection.conn.dgramSend(data);
  await connection.send();  // flush the packet now instead of at the next timer
}

async function readAll(readable) {
  const chunks = [];
  for await (const c of readable) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function writeAll(writable, data) {
  const w = writable.getWriter();
  for (let off = 0; off < data.length; off += 16384) {
    await w.write(data.subarray(off, Math.min(off + 16384, data.length)));
  }
  await w.close();
}

// One stream: write `size` random bytes (fin) while reading the echo, then compare.
async function echoCheck(connection, size) {
  const data = crypto.randomBytes(size);
  const stream = connection.newStream('bidi');
  const [got] = await Promise.all([readAll(stream.readable), writeAll(stream.writable, data)]);
  if (!got.equals(data)) {
    throw new Error(`stream ${stream.streamId}: echo of ${size} bytes differs (got ${got.length})`);
  }
  return size;
}

async function runClient(port, caFile) {
  const client = await QUICClient.createQUICClient(
    {
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      crypto: { ops: { randomBytes: async (b) => crypto.randomFillSync(new Uint8Array(b)) } },
      // gquic's self-signed certificate is a leaf (CA:FALSE), which BoringSSL refuses as a
      // trust anchor: pin it instead, comparing the presented leaf with the expected DER.
      config: {
        ...baseConfig,
        verifyPeer: true,
        verifyCallback: async (certs) => {
          const pinned = new crypto.X509Certificate(fs.readFileSync(caFile)).raw;
          return certs.length > 0 && pinned.equals(Buffer.from(certs[0])) ? undefined : BAD_CERTIFICATE;
        },
      },
    },
    { timer: 15000 },
  );
  const connection = client.connection;
  // Several streams at once: 1 KB, 1 MB and three of 64 KB, all in flight together.
  const sizes = [1024, 1 << 20, 65536, 65536, 65536];
  const done = await Promise.all(sizes.map((s) => echoCheck(connection, s)));
  console.log(`quiche client: ${done.length} concurrent stream echoes verified (${sizes.join(',')} bytes)`);

  // Datagrams: each one is resent every 200 ms until its echo arrives (loss-tolerant).
  const want = new Map();
  const stopPoll = onDatagrams(connection, (d) => want.delete(d.toString('hex')));
  const datagrams = [];
  for (let i = 0; i < 8; ++i) datagrams.push(crypto.randomBytes(100 + 50 * i));
  for (const d of datagrams) want.set(d.toString('hex'), d);
  for (let round = 0; round < 50 && want.size > 0; ++round) {
    for (const d of want.values()) await sendDatagram(connection, d);
    await new Promise((r) => setTimeout(r, 200));
  }
  stopPoll();
  if (want.size > 0) throw new Error(`${want.size} of ${datagrams.length} datagrams never echoed`);
  console.log(`quiche client: ${datagrams.length} datagram echoes verified`);
  await client.destroy({ isApp: true, errorCode: 0, reason: Buffer.from('done') });
}

async function runServer(portFile, certFile, keyFile) {
  const key = crypto.randomBytes(32);
  const server = new QUICServer({
    crypto: {
      key: key.buffer.slice(key.byteOffset, key.byteOffset + key.length),
      ops: {
        sign: async (k, data) => {
          const mac = crypto.createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
          return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.length);
        },
        verify: async (k, data, sig) => {
          const mac = crypto.createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
          const s = Buffer.from(sig);
          return s.length === mac.length && crypto.timingSafeEqual(s, mac);
        },
      },
    },
    config: {
      ...baseConfig,
      verifyPeer: false,
      cert: fs.readFileSync(certFile, 'utf8'),
      key: fs.readFileSync(keyFile, 'utf8'),
    },
  });
  let streams = 0;
  let datagrams = 0;
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const connection = evt.detail;
    const stopPoll = onDatagrams(connection, (d) => {
      ++datagrams;
      sendDatagram(connection, d).catch(() => {});
    });
    connection.addEventListener(events.EventQUICConnectionStream.name, (se) => {
      const stream = se.detail;
      ++streams;
      stream.readable.pipeTo(stream.writable).catch((e) => {
        console.error(`quiche server: stream ${stream.streamId} echo failed: ${e}`);
      });
    });
    connection.addEventListener(
      events.EventQUICConnectionStopped.name,
      async () => {
        stopPoll();
        await server.stop({ force: true });
        finish(0, `quiche server: connection closed after ${streams} streams and ${datagrams} datagrams echoed`);
      },
      { once: true },
    );
  });
  await server.start({ host: '127.0.0.1', port: 0 });
  fs.writeFileSync(`${portFile}.tmp`, `${server.port}\n`);
  fs.renameSync(`${portFile}.tmp`, portFile);
  console.log(`quiche server: listening on 127.0.0.1:${server.port}`);
}

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'client') {
    await runClient(Number(args[0]), args[1]);
    finish(0, 'quiche client: all checks passed');
  } else if (mode === 'server') {
    await runServer(args[0], args[1], args[2]);
  } else {
    finish(1, 'usage: peer.mjs client <port> <ca.pem> | server <port-file> <cert.pem> <key.pem>');
  }
} catch (e) {
  finish(1, `quiche ${mode}: FAILED: ${e?.stack ?? e}`);
}
