// Bare socket.io relay speaking the load-test subset of the client contract
// (docs: loadtest/README.md). No evidence log, no authorization beyond "an agent
// has a token": what socket.io itself costs, shown beside the durable reference.
"use strict";

const { parseArgs, startRelay } = require("./relay");

startRelay(parseArgs(process.argv));
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
