"""monitor against a real Home Assistant core (scripts/test-home-assistant).

Starts a private mosquitto, Home Assistant with its MQTT integration on that
broker (discovery on), and `monitor run` on the bundled demo video; then checks
what a Home Assistant user sees: every entity monitor announces exists under
the id the README gives, binary sensor and switch states equal the retained
payloads, switching a rule off in Home Assistant reaches the daemon (and back
on), the camera's event and image entities update, its "false alarm" button
marks the latest episode, and every entity is
`unavailable` once the daemon stops. Prints one line per check; exits 1 if any
failed. Standard library only (runs in Home Assistant's virtual environment).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = "ha"
CAMERA = "demo"
failures = []


def check(ok, what, detail=""):
    print(("ok    " if ok else "FAIL  ") + what + (f": {detail}" if detail and not ok else ""), flush=True)
    if not ok:
        failures.append(what)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(step)
    return None


def slug(text):
    """The README's rule for entity ids: lower case, runs of anything else than a-z/0-9 as one `_`."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


class HomeAssistant:
    def __init__(self, hass, work, broker_port):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(work, "home-assistant")
        os.makedirs(os.path.join(self.config, ".storage"))
        with open(os.path.join(self.config, "configuration.yaml"), "w") as f:
            f.write(
                "homeassistant:\n  name: monitor test\n  time_zone: UTC\n  latitude: 0\n  longitude: 0\n"
                "  elevation: 0\n  unit_system: metric\n  country: DE\n"
                f"http:\n  server_host: 127.0.0.1\n  server_port: {self.port}\n"
                "api:\nonboarding:\nlogger:\n  default: warning\n"
            )
        # The MQTT integration is configured through a config entry (it has no YAML broker settings).
        entry = {
            "entry_id": "monitortestmqtt",
            "version": 1,
            "minor_version": 1,
            "domain": "mqtt",
            "title": "127.0.0.1",
            "data": {"broker": "127.0.0.1", "port": broker_port, "discovery": True},
            "options": {},
            "source": "user",
            "unique_id": None,
            "disabled_by": None,
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
        }
        with open(os.path.join(self.config, ".storage", "core.config_entries"), "w") as f:
            json.dump({"version": 1, "minor_version": 1, "key": "core.config_entries", "data": {"entries": [entry]}}, f)
        self.log = open(os.path.join(work, "home-assistant.log"), "w")
        self.process = subprocess.Popen([hass, "-c", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        self.token = None

    def request(self, method, path, body=None, form=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def onboard(self):
        """The onboarding API's first user, then an access token for it."""
        client = self.base + "/"
        answer = json.loads(
            self.request(
                "POST",
                "/api/onboarding/users",
                {"client_id": client, "name": "test", "username": "test", "password": "monitor-test", "language": "en"},
            )
        )
        tokens = json.loads(
            self.request(
                "POST",
                "/auth/token",
                form={"grant_type": "authorization_code", "code": answer["auth_code"], "client_id": client},
            )
        )
        self.token = tokens["access_token"]

    def states(self):
        return {s["entity_id"]: s for s in json.loads(self.request("GET", "/api/states"))}

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def retained(port, topic_filter, seconds=2):
    """`topic payload` of every retained message under topic_filter."""
    out = subprocess.run(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-v", "-t", topic_filter, "-W", str(seconds), "--retained-only"],
        capture_output=True,
    ).stdout
    messages = {}
    for line in out.split(b"\n"):
        if b" " in line:
            topic, payload = line.split(b" ", 1)
            messages[topic.decode()] = payload
    return messages


def main():
    try:
        run(sys.argv[1], sys.argv[2])
    finally:
        print(f"home assistant check: {'FAILED ' + str(len(failures)) if failures else 'all passed'}")
    sys.exit(1 if failures else 0)


def run(hass, monitor):
    work = tempfile.mkdtemp(prefix="monitor-ha-")
    processes = []
    try:
        broker_port = free_port()
        with open(os.path.join(work, "mosquitto.conf"), "w") as f:
            f.write(f"listener {broker_port} 127.0.0.1\nallow_anonymous true\n")
        processes.append(subprocess.Popen(["mosquitto", "-c", os.path.join(work, "mosquitto.conf")], stderr=subprocess.DEVNULL))

        version = subprocess.run([hass, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"home assistant {version} (its first start installs its integrations' requirements from PyPI)", flush=True)
        ha = HomeAssistant(hass, work, broker_port)
        processes.append(ha.process)
        up = wait_until(lambda: ha.request("GET", "/api/onboarding") is not None, timeout=600, step=2)
        if not check(bool(up), "home assistant answers HTTP", f"see {ha.log.name}"):
            return
        ha.onboard()
        wait_until(lambda: "mqtt" in json.loads(ha.request("GET", "/api/config")).get("components", []), timeout=300, step=2)
        check("mqtt" in json.loads(ha.request("GET", "/api/config"))["components"], "home assistant loaded mqtt")

        state_dir = os.path.join(work, "state")
        config = os.path.join(work, "monitor.toml")
        with open(config, "w") as f:
            f.write(
                f'node = "{NODE}"\nrules_dir = "{REPO}/models/synthetic/rules"\nstate_dir = "{state_dir}"\n'
                f'[mqtt]\nhost = "127.0.0.1"\nport = {broker_port}\n'
                f'[[cameras]]\nname = "{CAMERA}"\nurl = "{REPO}/models/synthetic/demo/camera.mp4"\nloop = true\n'
            )
        daemon_log = open(os.path.join(work, "monitor.log"), "w")
        daemon = subprocess.Popen([monitor, "run", "--config", config], stdout=daemon_log, stderr=subprocess.STDOUT)
        processes.append(daemon)

        # 1. Every entity announced exists under the README's id.
        discovery = wait_until(lambda: len(retained(broker_port, "homeassistant/#")) >= 4 and retained(broker_port, "homeassistant/#"), 120)
        discovery = {t: json.loads(p) for t, p in (discovery or {}).items() if p}
        expected = {}
        for topic, payload in discovery.items():
            component = topic.split("/")[1]
            name = payload["name"]
            expected[f"{component}.{slug('monitor ' + NODE + ' ' + name)}"] = (component, payload)
        check(len(expected) >= 4, f"monitor announced {len(expected)} entities")
        present = wait_until(lambda: all(e in ha.states() for e in expected) and ha.states(), 60)
        states = present or ha.states()
        missing = sorted(e for e in expected if e not in states)
        check(not missing, f"home assistant created all {len(expected)} entities under the README's ids", f"missing {missing}")
        rules = sorted(f[: -len(".toml")] for f in os.listdir(f"{REPO}/models/synthetic/rules") if f.endswith(".toml"))
        for component in ["binary_sensor", "switch"]:
            count = sum(1 for c, _ in expected.values() if c == component)
            check(count == len(rules), f"one {component} per rule on camera {CAMERA} ({count} of {len(rules)})")
        for entity in [f"event.monitor_{NODE}_{CAMERA}_episodes", f"image.monitor_{NODE}_{CAMERA}_snapshot"]:
            check(entity in states, f"{entity} exists")
        check(
            f"binary_sensor.monitor_{NODE}_{CAMERA}_something_appears" in states,
            "binary_sensor.monitor_<node>_<camera>_<label> is the id of rule appears",
        )

        # 2. Home Assistant's states equal the retained payloads.
        def agree():
            messages = retained(broker_port, f"monitor/{NODE}/{CAMERA}/+/+")
            states = ha.states()
            mismatches = []
            for entity, (component, payload) in expected.items():
                if component not in ("binary_sensor", "switch"):
                    continue
                want = messages.get(payload["state_topic"], b"").decode().lower()
                got = states.get(entity, {}).get("state")
                if want != got:
                    mismatches.append(f"{entity}: {got} (retained {want or 'nothing'})")
            return mismatches

        # Episodes keep changing states: retry until one look finds both sides equal.
        last = [[]]

        def settled():
            last[0] = agree()
            return not last[0]

        wait_until(settled, 30)
        mismatches = last[0]
        check(not mismatches, "binary sensor and switch states equal the retained payloads", "; ".join(mismatches))

        # 3. The event and image entities update.
        event_entity = f"event.monitor_{NODE}_{CAMERA}_episodes"
        fired = wait_until(lambda: ha.states()[event_entity]["state"] not in ("unknown", "unavailable") and ha.states()[event_entity], 120)
        check(bool(fired), f"{event_entity} received an episode")
        if fired:
            attributes = fired["attributes"]
            check(
                attributes.get("event_type") in ("new", "end") and attributes.get("rule") in rules and "start_time" in attributes,
                f"{event_entity} carries the rule, score and times",
                json.dumps(attributes),
            )
        image_entity = f"image.monitor_{NODE}_{CAMERA}_snapshot"
        image = wait_until(lambda: ha.states()[image_entity]["state"] not in ("unknown", "unavailable") and ha.states()[image_entity], 120)
        check(bool(image), f"{image_entity} updated")
        if image:
            jpeg = ha.request("GET", image["attributes"]["entity_picture"])
            check(jpeg[:2] == b"\xff\xd8", f"{image_entity} serves the JPEG snapshot", f"{len(jpeg)} bytes")

        # 4. A switch turned off in Home Assistant reaches the daemon, and back on.
        switch = f"switch.monitor_{NODE}_{CAMERA}_something_appears"
        for service, word in [("turn_off", "OFF"), ("turn_on", "ON")]:
            ha.request("POST", f"/api/services/switch/{service}", {"entity_id": switch})
            topic = f"monitor/{NODE}/{CAMERA}/appears/switch"
            reached = wait_until(lambda: retained(broker_port, topic).get(topic) == word.encode(), 20)
            check(bool(reached), f"{service} of {switch} reached monitor (retained {word})")
            state = wait_until(lambda: ha.states()[switch]["state"] == word.lower(), 20)
            check(bool(state), f"{switch} shows {word.lower()}")
            logged = f"rule appears switched {word.lower()} for camera {CAMERA}"
            check(logged in open(daemon_log.name).read(), f"monitor logged '{logged}'")
        # 5. The camera's "false alarm" button marks its latest episode.
        button = f"button.monitor_{NODE}_{CAMERA}_false_alarm"
        check(button in ha.states(), f"{button} exists")
        ha.request("POST", "/api/services/button/press", {"entity_id": button})
        marked = wait_until(lambda: "false alarm (mqtt): episode " in open(daemon_log.name).read(), 20)
        check(bool(marked), f"pressing {button} marked the camera's latest episode a false alarm")
        pictures = [f for _, _, files in os.walk(os.path.join(state_dir, "false-alarms")) for f in files]
        check(any(f.endswith(".jpg") for f in pictures), "its best frame is in state_dir/false-alarms", str(pictures))
        stored = json.load(open(os.path.join(state_dir, "rule-switches.json")))
        check(stored == {"switched_off": []}, "the switch is kept in state_dir", json.dumps(stored))

        # 6. Every entity unavailable after the daemon stops.
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
        gone = wait_until(lambda: all(ha.states()[e]["state"] == "unavailable" for e in expected), 30)
        states = ha.states()
        check(bool(gone), "every entity is unavailable after monitor stops",
              ", ".join(f"{e}={states.get(e, {}).get('state')}" for e in expected if states.get(e, {}).get("state") != "unavailable"))

        problems = [line for line in open(ha.log.name) if "monitor" in line.lower() and ("ERROR" in line or "WARNING" in line)]
        check(not problems, "home assistant logged no warning about monitor's entities", "".join(problems[:5]))
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if failures:
            print(f"logs kept in {work}", flush=True)
        else:
            subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    import urllib.parse  # noqa: F401  (form bodies)

    main()
