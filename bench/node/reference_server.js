#!/usr/bin/env node
// Bare socket.io room broadcast: the yardstick for bench/fanout.py.
//
//   node reference_server.js [--host 127.0.0.1] [--port 0] [--token T]
//
// Speaks the same protocol as bench/flask_sio_server.py (Swarm's contract names):
//   join_ticket {ticket_id}                    -> ack {ok: true, ticket: {id}}
//   leave_ticket {ticket_id}                   -> ack {ok: true}
//   send_message {ticket_id, body, client_id}  -> ticket_event {type: "message", ticket_id, at,
//                                                 actor, message: {...}} to everyone in the room,
//                                                 then ack {ok: true, message}
// With --token, a connection must present auth {token}; otherwise any connection is accepted.
// Prints "LISTENING <port>" on stdout once bound (port 0 picks a free port); stops on SIGTERM/SIGINT.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function parseArgs(argv) {
  const args = { host: "127.0.0.1", port: 0, token: null };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    args[key] = key === "port" ? Number(argv[++i]) : argv[++i];
  }
  return args;
}

const args = parseArgs(process.argv);
const httpServer = http.createServer();
const io = new Server(httpServer, {
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
  // Same-origin only, like the Python stand-in: no CORS headers are sent.
});

let nextId = 1;

io.use((socket, next) => {
  if (args.token !== null && (socket.handshake.auth || {}).token !== args.token) {
    return next(new Error("unauthorized"));
  }
  next();
});

io.on("connection", (socket) => {
  const actor = { id: socket.id, name: "bench" };
  socket.on("join_ticket", (data, ack) => {
    socket.join(String(data.ticket_id));
    if (typeof ack === "function") ack({ ok: true, ticket: { id: data.ticket_id }, messages: [] });
  });
  socket.on("leave_ticket", (data, ack) => {
    socket.leave(String(data.ticket_id));
    if (typeof ack === "function") ack({ ok: true });
  });
  socket.on("send_message", (data, ack) => {
    const at = new Date().toISOString();
    const message = {
      id: nextId++,
      ticket_id: data.ticket_id,
      author: actor,
      body: data.body,
      kind: data.kind || "chat",
      client_id: data.client_id,
      at,
    };
    io.to(String(data.ticket_id)).emit("ticket_event", {
      type: "message",
      ticket_id: data.ticket_id,
      at,
      actor,
      message,
    });
    if (typeof ack === "function") ack({ ok: true, message });
  });
});

httpServer.listen(args.port, args.host, () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});

function stop() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
