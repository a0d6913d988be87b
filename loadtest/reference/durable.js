// Durable socket.io relay: the bare relay's events and acks (relay.js), but every message
// is appended to a hash-chained log (journal.js) and acked and relayed only once the
// fdatasync of its batch has returned. What a Node.js engineer would write to make the
// gateway's promise: no message shown or acknowledged that the log lacks.
"use strict";

const { Journal } = require("./journal");
const { parseArgs, startRelay } = require("./relay");

const STOP_LIMIT_MS = 5000;

const options = parseArgs(process.argv, { log: "" });
if (options.log === "") throw new Error("--log PATH is required (a file that does not exist yet)");
const journal = new Journal(options.log);
const io = startRelay(options, journal);

function stop() {
  setTimeout(() => process.exit(1), STOP_LIMIT_MS).unref();
  io.close();
  journal.whenIdle(() => {
    process.stdout.write(`journal ${JSON.stringify(journal.stats())}\n`);
    process.exit(0);
  });
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
