// The socket.io relay both reference servers share: the load-test subset of the client
// contract (docs: loadtest/README.md). With a journal, a message is acked and relayed only
// once the journal says it is durable; without one, at once.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

function parseArgs(argv, defaults) {
  const options = { host: "127.0.0.1", port: 8090, serializer: "json", deflate: "off", ...defaults };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in options)) throw new Error(`unknown option --${key}`);
    options[key] = key === "port" ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (options.host !== "127.0.0.1" && options.host !== "localhost") {
    throw new Error("the reference relay listens on loopback only");
  }
  return options;
}

function startRelay(options, journal = null) {
  const httpServer = http.createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    if (req.url === "/journal" && journal !== null) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(journal.stats()));
      return;
    }
    res.writeHead(404);
    res.end();
  });

  const serverOptions = {
    transports: ["websocket"],
    // socket.io 4 already defaults to false; said explicitly because the race compares
    // like with like (the gateway also runs without compression unless told otherwise).
    perMessageDeflate: options.deflate === "on" ? { threshold: 0 } : false,
    maxHttpBufferSize: 1e6,
  };
  if (options.serializer === "msgpack") {
    serverOptions.parser = require("socket.io-msgpack-parser");
  }
  const io = new Server(httpServer, serverOptions);

  let nextCitizen = 0;
  let nextConversation = 0;
  const conversations = new Map();
  const agents = [];
  const waiting = [];
  let roundRobin = 0;

  const now = () => new Date().toISOString();

  function failure(code, message) {
    return { ok: false, error: { code, message } };
  }

  function publicConversation(conv) {
    const view = {
      id: conv.id, status: conv.status, topic: conv.topic, service: conv.service,
      priority: conv.priority, discreet: false, language: conv.language, opened_at: conv.opened_at,
    };
    if (conv.agent) view.agent = { display_name: conv.agent.name, service: conv.agent.service };
    return view;
  }

  function pickAgent() {
    for (let tried = 0; tried < agents.length; tried += 1) {
      roundRobin = (roundRobin + 1) % agents.length;
      const agent = agents[roundRobin];
      if (agent.available && agent.load < agent.maxChats) return agent;
    }
    return null;
  }

  function assign(conv, agent) {
    conv.status = "assigned";
    conv.agent = agent;
    agent.load += 1;
    const pending = conv.pending;
    conv.pending = null;
    agent.socket.emit("conversation:assigned", { conversation: publicConversation(conv), messages: pending });
    conv.citizen.emit("conversation:assigned", {
      conversation_id: conv.id, agent: { display_name: agent.name, service: agent.service },
    });
  }

  function drainQueue() {
    while (waiting.length > 0) {
      const agent = pickAgent();
      if (agent === null) return;
      const conv = waiting.shift();
      if (conv.status === "queued") assign(conv, agent);
    }
  }

  function record(conv, sender, payload) {
    const known = conv.byClientId.get(payload.client_msg_id);
    if (known !== undefined) return { message: known, fresh: false };
    conv.seq += 1;
    const message = {
      conversation_id: conv.id, seq: conv.seq, sender, text: payload.text,
      sent_at: now(), client_msg_id: payload.client_msg_id,
    };
    conv.byClientId.set(payload.client_msg_id, message);
    return { message, fresh: true };
  }

  const NOT_DURABLE = failure("unavailable", "message not written to the log");

  /** Calls ``done(error)`` once ``message`` is durable: at once without a journal. */
  function persist(message, done) {
    if (journal === null) done(null);
    else journal.append(message, done);
  }

  /** Calls ``done(error)`` once an already recorded ``message`` is durable. */
  function settled(message, done) {
    if (journal === null) done(null);
    else journal.whenDurable(message, done);
  }

  function relay(conv, sender, message) {
    if (sender === "citizen") {
      if (conv.agent) conv.agent.socket.emit("message", message);
      else conv.pending.push(message);
    } else {
      conv.citizen.emit("message", message);
    }
  }

  function validMessage(payload) {
    return payload !== null && typeof payload === "object"
      && typeof payload.conversation_id === "string"
      && typeof payload.client_msg_id === "string"
      && typeof payload.text === "string" && payload.text.length >= 1 && payload.text.length <= 4000;
  }

  function sendHandler(socket, sender) {
    return (payload, ack) => {
      if (typeof ack !== "function") return;
      if (!validMessage(payload)) return ack(failure("bad_request", "invalid message"));
      const conv = conversations.get(payload.conversation_id);
      const owner = sender === "citizen" ? conv && conv.citizen : conv && conv.agent && conv.agent.socket;
      if (!conv || owner !== socket) return ack(failure("not_found", "no such conversation"));
      if (conv.status === "closed") return ack(failure("conflict", "conversation closed"));
      const { message, fresh } = record(conv, sender, payload);
      if (!fresh) {
        settled(message, (error) => ack(error ? NOT_DURABLE : { ok: true, message }));
        return;
      }
      persist(message, (error) => {
        if (error) return ack(NOT_DURABLE);
        ack({ ok: true, message });
        relay(conv, sender, message);
      });
    };
  }

  function closeHandler(socket, side) {
    return (payload, ack) => {
      if (typeof ack !== "function") return;
      const conv = payload && conversations.get(payload.conversation_id);
      const owner = side === "citizen" ? conv && conv.citizen : conv && conv.agent && conv.agent.socket;
      if (!conv || owner !== socket) return ack(failure("not_found", "no such conversation"));
      if (conv.status !== "closed") {
        conv.status = "closed";
        const closed = { conversation_id: conv.id, reason: `closed_by_${side}` };
        if (side === "agent") conv.citizen.emit("conversation:closed", closed);
        else if (conv.agent) conv.agent.socket.emit("conversation:closed", closed);
        if (conv.agent) conv.agent.load -= 1;
        conversations.delete(conv.id);
        if (journal !== null) journal.forget(conv.id);
        drainQueue();
      }
      ack({ ok: true, conversation: publicConversation(conv) });
    };
  }

  function listHandler(socket, side) {
    return (payload, ack) => {
      if (typeof ack !== "function") return;
      const mine = [];
      for (const conv of conversations.values()) {
        const owner = side === "citizen" ? conv.citizen : conv.agent && conv.agent.socket;
        if (owner === socket) mine.push(publicConversation(conv));
      }
      ack({ ok: true, conversations: mine });
    };
  }

  io.of("/citizen").on("connection", (socket) => {
    nextCitizen += 1;
    const citizenId = `cit-${nextCitizen}`;
    socket.emit("session", {
      citizen_id: citizenId, token: `ref-${citizenId}`,
      expires_at: new Date(Date.now() + 86400000).toISOString(),
    });
    socket.on("conversation:open", (payload, ack) => {
      if (typeof ack !== "function") return;
      if (payload === null || typeof payload !== "object" || typeof payload.topic !== "string") {
        return ack(failure("bad_request", "topic required"));
      }
      nextConversation += 1;
      const conv = {
        id: `conv-${nextConversation}`, status: "queued", topic: payload.topic,
        service: payload.service || "police", priority: payload.priority || "normal",
        language: payload.language || "fr", opened_at: now(), seq: 0,
        citizen: socket, agent: null, pending: [], byClientId: new Map(),
      };
      conversations.set(conv.id, conv);
      const route = () => {
        const agent = pickAgent();
        if (agent !== null && waiting.length === 0) {
          assign(conv, agent);
        } else {
          waiting.push(conv);
          socket.emit("conversation:queued", {
            conversation_id: conv.id, position: waiting.length, estimated_wait_s: waiting.length * 30,
          });
        }
        ack({ ok: true, conversation: publicConversation(conv) });
      };
      if (typeof payload.text !== "string") return route();
      // The opening text is routed with the conversation, so both wait until it is durable.
      const opening = record(conv, "citizen", payload).message;
      conv.pending.push(opening);
      persist(opening, (error) => {
        if (!error) return route();
        conversations.delete(conv.id);
        ack(NOT_DURABLE);
      });
    });
    socket.on("message:send", sendHandler(socket, "citizen"));
    socket.on("conversation:close", closeHandler(socket, "citizen"));
    socket.on("conversation:list", listHandler(socket, "citizen"));
  });

  const agentNamespace = io.of("/agent");
  agentNamespace.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    if (typeof token !== "string" || token.length === 0) {
      const err = new Error("unauthorized");
      err.data = { code: "unauthorized" };
      return next(err);
    }
    next();
  });
  agentNamespace.on("connection", (socket) => {
    // Reference tokens read "ref.<agent id>.<max chats>"; the relay trusts them.
    const [, agentId = socket.id, maxChats = "4"] = socket.handshake.auth.token.split(".");
    const agent = {
      id: agentId, name: `Agent ${agentId}`, service: "police", socket,
      available: false, load: 0, maxChats: Number(maxChats) || 4,
    };
    socket.data.agentId = agentId;
    agents.push(agent);
    for (const conv of conversations.values()) {
      if (conv.agent && conv.agent.id === agentId && conv.agent !== agent) {
        conv.agent = agent;
        agent.load += 1;
      }
    }
    socket.on("agent:status", (payload, ack) => {
      if (typeof ack !== "function") return;
      const status = payload && payload.status;
      if (status !== "available" && status !== "away") return ack(failure("bad_request", "bad status"));
      agent.available = status === "available";
      ack({ ok: true });
      if (agent.available) drainQueue();
    });
    socket.on("message:send", sendHandler(socket, "agent"));
    socket.on("conversation:close", closeHandler(socket, "agent"));
    socket.on("conversation:list", listHandler(socket, "agent"));
    socket.on("disconnect", () => {
      agent.available = false;
      agents.splice(agents.indexOf(agent), 1);
    });
  });


  httpServer.listen(options.port, options.host, () => {
    process.stdout.write(`reference relay on http://${options.host}:${options.port} `
      + `serializer=${options.serializer} deflate=${options.deflate}`
      + `${journal ? ` journal=${journal.path}` : ""}\n`);
  });
  return io;
}

module.exports = { parseArgs, startRelay };
