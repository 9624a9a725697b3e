// One-shot PouchDB replication of a device's documents to a CouchDB-style server.
//
//   NODE_PATH=<cache>/node_modules node replicate.js '<json config>'
//
// config: {local, target, batch_size, docs (a .jsonl file) | photos: [[record_id, path]...]}
// The documents are written to a local PouchDB (LevelDB in `local`, the device) before the
// clock starts; then `local.replicate.to(target)` runs like an app's "sync" button. When the
// link drops, replication fails; the script starts it again after a second, as an app that
// retries would, and PouchDB resumes from its last checkpoint. Prints one JSON line.
"use strict";
const fs = require("fs");
const PouchDB = require("pouchdb");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const local = new PouchDB(cfg.local);
  let docs;
  if (cfg.docs) {
    docs = fs.readFileSync(cfg.docs, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  } else {
    docs = cfg.photos.map(([recordId, path]) => ({
      _id: `${recordId}:photo`,
      type: "photo",
      record_id: recordId,
      _attachments: {
        "photo.jpg": { content_type: "image/jpeg", data: fs.readFileSync(path) },
      },
    }));
  }
  for (let i = 0; i < docs.length; i += 500) {
    await local.bulkDocs(docs.slice(i, i + 500));
  }
  const remote = new PouchDB(cfg.target, { skip_setup: true });
  const started = process.hrtime.bigint();
  let attempts = 0;
  let written = 0;
  const errors = [];
  for (;;) {
    attempts += 1;
    try {
      const result = await local.replicate.to(remote, { batch_size: cfg.batch_size });
      written += result.docs_written;
      if (result.ok !== false && result.doc_write_failures === 0) break;
      errors.push(`incomplete: ${JSON.stringify(result.errors).slice(0, 200)}`);
    } catch (err) {
      errors.push(String(err && (err.message || err.name || err)).slice(0, 200));
    }
    if (attempts > 50) throw new Error(`replication kept failing: ${errors.slice(-3)}`);
    await sleep(1000);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, attempts, written, docs: docs.length,
                                        errors: errors.slice(0, 5) }) + "\n");
  await local.close();
}

main().catch((err) => {
  process.stderr.write(`replicate.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
