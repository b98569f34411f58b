#!/usr/bin/env node
// Load generator for Socket.IO room servers, built on the official socket.io-client.
// Prints one JSON object on stdout; progress goes to stderr. Every loop is bounded in count and time.
//
//   node loadgen.js --url http://127.0.0.1:5000 [--scenario fanout,ack,rooms]
//
// Scenarios
//   fanout  1 room x --clients receivers (100); one more client, in the same room, sends --messages
//           (2000) without waiting for acks. deliveries_per_s = deliveries counted at the receivers
//           / (last delivery - first send). --fanout-runs N repeats it and reports the median run.
//   ack     one client sends --ack-messages (300) one at a time, awaiting each ack: p50/p95 ms.
//   rooms   --rooms (200) x --per-room (5) clients, each sending --rate (1) message/s for --seconds
//           (30). Latency is measured at every *other* member of the room (send -> ticket_event);
//           lost = expected deliveries - deliveries seen once the room has drained.
//
// Protocol (defaults are Swarm's contract, docs/realtime.md):
//   --join-event join_ticket   --send-event send_message   --recv-event ticket_event
//   --join-payload '{"ticket_id":"$ROOM"}'
//   --send-payload '{"ticket_id":"$ROOM","body":"$BODY","client_id":"$CLIENT_ID"}'
//   A value that is exactly "$ROOM" becomes the room id (a number when the id is numeric); "$BODY"
//   and "$CLIENT_ID" are replaced inside strings. The receiver finds the body anywhere in the
//   broadcast payload (any string starting with "rtb:"), so the server may wrap it as it likes.
//   --room-ids 1-202 | 4,8,15   rooms used: fanout uses the first, ack the second, rooms the next
//                               --rooms ids (default 1..rooms+2).
// Credentials: --token T (auth: {token}) and/or --cookie 'session=...' (Cookie header), --origin O.
"use strict";

// Swarm stores every message and treats a repeated client_id from the same user as a retry
// (it answers with the stored message and delivers nothing new). Every send of this process
// and run gets a client_id of its own.
const NONCE = Math.random().toString(36).slice(2, 10);
let fanoutRun = 0;
const { performance } = require("node:perf_hooks");
const { io } = require("socket.io-client");
const clientVersion = require("socket.io-client/package.json").version;

const DEFAULTS = {
  url: null,
  scenario: "fanout,ack,rooms",
  clients: 100,
  messages: 2000,
  "ack-messages": 300,
  "ack-warmup": 20,
  rooms: 200,
  "per-room": 5,
  seconds: 30,
  rate: 1,
  "join-event": "join_ticket",
  "send-event": "send_message",
  "recv-event": "ticket_event",
  "join-payload": '{"ticket_id":"$ROOM"}',
  "send-payload": '{"ticket_id":"$ROOM","body":"$BODY","client_id":"$CLIENT_ID"}',
  "room-ids": null,
  token: null,
  cookie: null,
  origin: null,
  transports: "websocket",
  "connect-concurrency": 50,
  "ack-timeout-ms": 30000,
  "idle-timeout-s": 10,
  "max-drain-s": 60,
  "fanout-runs": 1,
};
const NUMERIC = new Set([
  "clients", "messages", "ack-messages", "ack-warmup", "rooms", "per-room", "seconds", "rate",
  "connect-concurrency", "ack-timeout-ms", "idle-timeout-s", "max-drain-s", "fanout-runs",
]);

function usage() {
  const lines = require("node:fs").readFileSync(__filename, "utf8").split("\n");
  const header = [];
  for (const line of lines.slice(1)) {
    if (!line.startsWith("//")) break;
    header.push(line.replace(/^\/\/ ?/, ""));
  }
  process.stdout.write(`${header.join("\n")}\n`);
  process.stdout.write(`\nOptions and defaults: ${JSON.stringify(DEFAULTS, null, 1)}\n`);
  process.exit(0);
}

function parseArgs(argv) {
  if (argv.includes("--help") || argv.includes("-h")) usage();
  const args = { ...DEFAULTS };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    const value = argv[++i];
    args[key] = NUMERIC.has(key) ? Number(value) : value;
  }
  if (!args.url) throw new Error("--url is required");
  return args;
}

function parseRoomIds(spec, needed) {
  if (!spec) return Array.from({ length: needed }, (_, i) => String(i + 1));
  const ids = [];
  for (const part of spec.split(",")) {
    const range = part.match(/^(\d+)-(\d+)$/);
    if (range) {
      for (let n = Number(range[1]); n <= Number(range[2]) && ids.length < 100000; n++) {
        ids.push(String(n));
      }
    } else if (part.trim()) {
      ids.push(part.trim());
    }
  }
  return ids;
}

const log = (...parts) => process.stderr.write(`[loadgen] ${parts.join(" ")}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[rank]);
}
const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);

function summary(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
  return {
    count: sorted.length,
    p50_ms: percentile(sorted, 50),
    p95_ms: percentile(sorted, 95),
    p99_ms: percentile(sorted, 99),
    max_ms: sorted.length ? round(sorted[sorted.length - 1]) : null,
    mean_ms: round(mean),
  };
}

class Protocol {
  constructor(args) {
    this.joinEvent = args["join-event"];
    this.sendEvent = args["send-event"];
    this.recvEvent = args["recv-event"];
    this.joinTemplate = JSON.parse(args["join-payload"]);
    this.sendTemplate = JSON.parse(args["send-payload"]);
    this.ackTimeout = args["ack-timeout-ms"];
  }

  static fill(template, vars) {
    if (typeof template === "string") {
      if (template === "$ROOM") return /^\d+$/.test(vars.room) ? Number(vars.room) : vars.room;
      return template.replaceAll("$ROOM", vars.room).replaceAll("$BODY", vars.body || "")
        .replaceAll("$CLIENT_ID", vars.clientId || "");
    }
    if (Array.isArray(template)) return template.map((t) => Protocol.fill(t, vars));
    if (template && typeof template === "object") {
      const out = {};
      for (const [k, v] of Object.entries(template)) out[k] = Protocol.fill(v, vars);
      return out;
    }
    return template;
  }

  joinPayload(room) {
    return Protocol.fill(this.joinTemplate, { room });
  }

  sendPayload(room, body, clientId) {
    return Protocol.fill(this.sendTemplate, { room, body, clientId });
  }
}

// body = rtb:<sender>:<seq>:<sent at, ms since this process started>
const makeBody = (sender, seq) => `rtb:${sender}:${seq}:${performance.now()}`;

function findBody(value, depth = 0) {
  if (typeof value === "string") return value.startsWith("rtb:") ? value : null;
  if (depth > 6 || value === null || typeof value !== "object") return null;
  for (const v of Object.values(value)) {
    const found = findBody(v, depth + 1);
    if (found) return found;
  }
  return null;
}

function parseBody(body) {
  const parts = body.split(":");
  return { sender: Number(parts[1]), seq: Number(parts[2]), sentAt: Number(parts[3]) };
}

class Clients {
  constructor(args) {
    this.args = args;
    this.sockets = [];
    this.stats = { connect_errors: 0, join_errors: 0, disconnects: 0, errors: [] };
  }

  options() {
    const headers = {};
    if (this.args.cookie) headers.Cookie = this.args.cookie;
    if (this.args.origin) headers.Origin = this.args.origin;
    const options = {
      transports: this.args.transports.split(","),
      reconnection: false,
      forceNew: true,
      timeout: 20000,
      extraHeaders: headers,
    };
    if (this.args.token) options.auth = { token: this.args.token };
    return options;
  }

  note(kind, detail) {
    this.stats[kind] += 1;
    if (this.stats.errors.length < 5) this.stats.errors.push(`${kind}: ${detail}`);
  }

  connectOne() {
    return new Promise((resolve) => {
      // Several servers (--url a,b): clients take them in turn, so a room's members are spread
      // over the processes and hear each other through the message queue.
      const urls = this.args.url.split(",");
      this.connects = (this.connects || 0) + 1;
      const socket = io(urls[this.connects % urls.length], this.options());
      socket.once("connect", () => {
        socket.on("disconnect", (reason) => {
          if (!socket.rtbClosing) this.note("disconnects", reason);
        });
        resolve(socket);
      });
      socket.once("connect_error", (err) => {
        this.note("connect_errors", err.message);
        socket.close();
        resolve(null);
      });
    });
  }

  // Connect `count` clients, at most connect-concurrency at a time; returns the slots (null = failed).
  async connect(count) {
    const slots = new Array(count).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        slots[i] = await this.connectOne();
      }
    };
    const workers = Math.max(1, Math.min(this.args["connect-concurrency"], count));
    await Promise.all(Array.from({ length: workers }, worker));
    for (const s of slots) if (s) this.sockets.push(s);
    return slots;
  }

  async join(socket, protocol, room) {
    try {
      const ack = await socket.timeout(protocol.ackTimeout)
        .emitWithAck(protocol.joinEvent, protocol.joinPayload(room));
      if (ack && ack.ok === false) {
        this.note("join_errors", JSON.stringify(ack.error || ack));
        return false;
      }
      return true;
    } catch (err) {
      this.note("join_errors", err.message);
      return false;
    }
  }

  closeAll() {
    for (const s of this.sockets) {
      s.rtbClosing = true;
      s.close();
    }
    this.sockets = [];
  }
}

// Wait until done() or no progress for idle-timeout-s or max-drain-s in all; returns why it ended.
async function drain(args, done, progress) {
  const start = performance.now();
  let last = progress();
  let lastChange = start;
  for (;;) {
    if (done()) return "complete";
    await sleep(20);
    const now = performance.now();
    const p = progress();
    if (p !== last) {
      last = p;
      lastChange = now;
    }
    if (now - lastChange > args["idle-timeout-s"] * 1000) return "idle-timeout";
    if (now - start > args["max-drain-s"] * 1000) return "max-drain";
  }
}

async function fanout(args, protocol, room) {
  const clients = new Clients(args);
  const n = args.clients;
  const m = args.messages;
  log(`fanout: connecting ${n} receivers + 1 sender`);
  const slots = await clients.connect(n + 1);
  const sender = slots[n];
  const receivers = slots.slice(0, n).filter(Boolean);
  let delivered = 0;
  let duplicates = 0;
  let lastDelivery = 0;
  const seen = receivers.map(() => new Uint8Array(m));
  receivers.forEach((socket, r) => {
    socket.on(protocol.recvEvent, (payload) => {
      const body = findBody(payload);
      if (!body) return;
      const { sender: who, seq } = parseBody(body);
      if (who !== -1 || seq < 0 || seq >= m) return;
      if (seen[r][seq]) {
        duplicates += 1;
        return;
      }
      seen[r][seq] = 1;
      delivered += 1;
      lastDelivery = performance.now();
    });
  });
  await Promise.all(receivers.map((s) => clients.join(s, protocol, room)));
  const result = { clients: n, messages: m, room };
  if (!sender || !(await clients.join(sender, protocol, room))) {
    clients.closeAll();
    return { ...result, error: "sender could not connect or join", ...clients.stats };
  }
  let acked = 0;
  let ackErrors = 0;
  fanoutRun += 1;
  log(`fanout: sending ${m} messages without waiting`);
  const start = performance.now();
  for (let seq = 0; seq < m; seq++) {
    sender.emit(protocol.sendEvent, protocol.sendPayload(room, makeBody(-1, seq), `rtb-${NONCE}-f-${fanoutRun}-${seq}`),
      (ack) => {
        if (ack && ack.ok === false) ackErrors += 1;
        else acked += 1;
      });
  }
  const expected = receivers.length * m;
  const ended = await drain(args, () => delivered >= expected && acked + ackErrors >= m,
    () => delivered + acked);
  const seconds = (lastDelivery - start) / 1000;
  clients.closeAll();
  return {
    ...result,
    receivers: receivers.length,
    expected,
    delivered,
    duplicates,
    lost: expected - delivered,
    acked,
    ack_errors: ackErrors,
    seconds: round(seconds),
    deliveries_per_s: delivered && seconds > 0 ? Math.round(delivered / seconds) : 0,
    ended,
    ...clients.stats,
  };
}

async function ackLatency(args, protocol, room) {
  const clients = new Clients(args);
  const [socket] = await clients.connect(1);
  if (!socket || !(await clients.join(socket, protocol, room))) {
    clients.closeAll();
    return { error: "client could not connect or join", ...clients.stats };
  }
  const total = args["ack-warmup"] + args["ack-messages"];
  log(`ack: ${args["ack-messages"]} messages, each awaited (after ${args["ack-warmup"]} warm-up)`);
  const latencies = [];
  let ackErrors = 0;
  let timeouts = 0;
  for (let seq = 0; seq < total; seq++) {
    const t0 = performance.now();
    try {
      const ack = await socket.timeout(protocol.ackTimeout).emitWithAck(protocol.sendEvent,
        protocol.sendPayload(room, makeBody(-2, seq), `rtb-${NONCE}-a-${seq}`));
      if (ack && ack.ok === false) ackErrors += 1;
    } catch {
      timeouts += 1;
    }
    if (seq >= args["ack-warmup"]) latencies.push(performance.now() - t0);
  }
  clients.closeAll();
  return { room, ack_errors: ackErrors, ack_timeouts: timeouts, ...summary(latencies),
    ...clients.stats };
}

async function rooms(args, protocol, roomIds) {
  const clients = new Clients(args);
  const r = args.rooms;
  const k = args["per-room"];
  const perClient = Math.max(0, Math.floor(args.seconds * args.rate));
  const interval = 1000 / args.rate;
  log(`rooms: connecting ${r} x ${k} clients`);
  const slots = await clients.connect(r * k);
  const members = roomIds.map(() => 0);
  const latencies = [];
  let delivered = 0;
  let duplicates = 0;
  // Deliveries to a client whose join was not acknowledged in time (an overloaded server may
  // still have joined it): it is not counted as a member, so what it receives is not expected
  // either — counted apart, never as delivered (else "lost" goes negative).
  let strays = 0;
  const member = slots.map(() => false);
  // Which messages reached anyone, and which sends were refused: a refused send must reach no
  // one ("nothing stored"); the overlap is reported, and it must be 0.
  const deliveredMessages = new Set();
  const refusedMessages = new Set();
  const seen = new Set();
  // The worst latency of the messages sent in each second of the run: shows whether a high p99
  // is spread out or one stall (a GC pause, a ping burst, a slow connect).
  const worstBySecond = new Array(Math.ceil(args.seconds) + 1).fill(0);
  let start = Infinity;
  const joined = await Promise.all(slots.map(async (socket, idx) => {
    if (!socket) return false;
    const room = Math.floor(idx / k);
    socket.on(protocol.recvEvent, (payload) => {
      const body = findBody(payload);
      if (!body) return;
      const { sender, seq, sentAt } = parseBody(body);
      if (sender === idx || sender < 0) return; // own echo, or another scenario's message
      if (!member[idx]) {
        strays += 1;
        return;
      }
      const key = `${idx}:${sender}:${seq}`;
      if (seen.has(key)) {
        duplicates += 1;
        return;
      }
      seen.add(key);
      deliveredMessages.add(`${sender}:${seq}`);
      delivered += 1;
      const latency = performance.now() - sentAt;
      latencies.push(latency);
      const second = Math.floor((sentAt - start) / 1000);
      if (second >= 0 && second < worstBySecond.length) {
        worstBySecond[second] = Math.max(worstBySecond[second], latency);
      }
    });
    const ok = await clients.join(socket, protocol, roomIds[room]);
    if (ok) {
      members[room] += 1;
      member[idx] = true;
    }
    return ok;
  }));
  log(`rooms: ${joined.filter(Boolean).length} clients joined; sending for ${args.seconds} s`);
  let sent = 0;
  let expected = 0;
  let acked = 0;
  let ackErrors = 0;
  const refusals = {};
  start = performance.now();
  const senders = slots.map(async (socket, idx) => {
    if (!socket || !joined[idx]) return;
    const room = Math.floor(idx / k);
    const offset = Math.random() * interval;
    for (let seq = 0; seq < perClient; seq++) {
      const due = start + offset + seq * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (!socket.connected) return;
      sent += 1;
      const others = members[room] - 1;
      expected += others;
      socket.emit(protocol.sendEvent,
        protocol.sendPayload(roomIds[room], makeBody(idx, seq), `rtb-${NONCE}-r-${idx}-${seq}`), (ack) => {
          if (ack && ack.ok === false) {
            // Refused (nothing stored, the sender told so): no one is owed this message.
            ackErrors += 1;
            expected -= others;
            refusedMessages.add(`${idx}:${seq}`);
            const code = (ack.error && ack.error.code) || "unknown";
            refusals[code] = (refusals[code] || 0) + 1;
          } else acked += 1;
        });
    }
  });
  await Promise.all(senders);
  const ended = await drain(args, () => delivered >= expected && acked + ackErrors >= sent,
    () => delivered + acked);
  clients.closeAll();
  const { count, ...lat } = summary(latencies);
  return {
    rooms: r,
    per_room: k,
    seconds: args.seconds,
    rate_per_client: args.rate,
    clients_joined: joined.filter(Boolean).length,
    sent,
    acked,
    ack_errors: ackErrors,
    refusals,
    expected,
    delivered: count,
    duplicates,
    strays,
    refused_but_delivered: [...refusedMessages].filter((m) => deliveredMessages.has(m)).length,
    lost: expected - delivered,
    ...lat,
    worst_ms_by_second: worstBySecond.map((x) => Math.round(x)),
    ended,
    ...clients.stats,
  };
}

async function main() {
  const args = parseArgs(process.argv);
  const protocol = new Protocol(args);
  const scenarios = args.scenario.split(",").map((s) => s.trim()).filter(Boolean);
  const roomIds = parseRoomIds(args["room-ids"], args.rooms + 2);
  const out = { url: args.url, socket_io_client: clientVersion, transports: args.transports };
  for (const name of scenarios) {
    const t0 = performance.now();
    if (name === "fanout") {
      const runs = [];
      for (let i = 0; i < Math.max(1, args["fanout-runs"]); i++) {
        runs.push(await fanout(args, protocol, roomIds[0]));
        await sleep(300);
      }
      const ranked = [...runs].sort((a, b) => a.deliveries_per_s - b.deliveries_per_s);
      out.fanout = { ...ranked[Math.floor((ranked.length - 1) / 2)],
        runs_deliveries_per_s: runs.map((r) => r.deliveries_per_s),
        lost: runs.reduce((sum, r) => sum + (r.lost || 0), 0) };
    }
    else if (name === "ack") out.ack = await ackLatency(args, protocol, roomIds[1 % roomIds.length]);
    else if (name === "rooms") {
      if (roomIds.length < args.rooms + 2) throw new Error(`--room-ids needs ${args.rooms + 2} ids`);
      out.rooms = await rooms(args, protocol, roomIds.slice(2, 2 + args.rooms));
    } else throw new Error(`unknown scenario ${name}`);
    log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(300); // let the server reap the closed connections before the next scenario
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// A hard stop in case a server hangs: the whole run may take at most this long.
const hardStop = setTimeout(() => {
  log("hard time limit reached");
  process.exit(3);
}, Math.max(15 * 60, (parseArgs(process.argv).seconds || 0) + 10 * 60) * 1000);
hardStop.unref();

main().then(() => process.exit(0), (err) => {
  log(`error: ${err.stack || err}`);
  process.exit(2);
});
