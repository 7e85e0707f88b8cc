// MQTT.js over ws:// or wss:// for the e2e tests. Subscribes to `<prefix>/in/#` (QoS 1), prints
// "subscribed", publishes `--size` bytes to `<prefix>/out` (QoS 1), then prints one JSON line
// per message received and exits 0 after `--expect` of them (or 1 after 20 s).
//   node mqttjs_client.js <url> --prefix p --size 1000 --expect 1 [--ca file] [--version 4|5]
const fs = require("fs");
const mqtt = require("mqtt");

const args = process.argv.slice(2);
const url = args[0];
const option = (name, fallback) => {
  const index = args.indexOf("--" + name);
  return index >= 0 ? args[index + 1] : fallback;
};
const prefix = option("prefix", "js");
const size = Number(option("size", "100"));
const expected = Number(option("expect", "1"));
const ca = option("ca", null);

const client = mqtt.connect(url, {
  clientId: option("id", "mqttjs-" + process.pid),
  protocolVersion: Number(option("version", "4")),
  ca: ca ? fs.readFileSync(ca) : undefined,
  reconnectPeriod: 0,
  connectTimeout: 10000,
});
let received = 0;
setTimeout(() => {
  console.log("timeout");
  process.exit(1);
}, 20000);
client.on("error", (error) => {
  console.log("error " + error.message);
  process.exit(1);
});
client.on("connect", () => {
  client.subscribe(prefix + "/in/#", { qos: 1 }, (error) => {
    if (error) throw error;
    console.log("subscribed");
    client.publish(prefix + "/out", Buffer.alloc(size, "j"), { qos: 1 }, (publishError) => {
      if (publishError) throw publishError;
      console.log("published");
    });
  });
});
client.on("message", (topic, payload) => {
  console.log(JSON.stringify({ topic, size: payload.length, first: payload.subarray(0, 8).toString() }));
  if (++received === expected) client.end(false, () => process.exit(0));
});
