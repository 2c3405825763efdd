"""The synthetic world: coloured shapes on noisy backgrounds doing actions whose
meaning depends on frame order ("falls" is "rises" played backwards), with
captions in several paraphrases. Pure numpy; deterministic for a given
numpy Generator. Positions and sizes live in a 64x64 square (the tiny model's
input size), 8 fps; a scene (ClassicScene here, the randomised looks in
styles.py) paints them at its own picture size, speed and object scale.

Every order-sensitive action is the exact time reversal of its twin (linear
motion, linear fades and growth), so the set of frames says nothing about
which of the two happened: frame averaging (meanP) must guess.

Actions chain: an object's state (visible, position, radius) carries from one
action to the next, so a scene never "pops": objects come in by appearing or
entering, act, and go by disappearing or leaving. Clips and long videos are
cut from such chains.
"""
import numpy as np

SIZE = 64
FPS = 8

COLOURS = {
    "red": (220, 45, 45),
    "green": (40, 190, 70),
    "blue": (55, 95, 235),
    "yellow": (235, 215, 45),
    "white": (238, 238, 238),
    "purple": (160, 70, 210),
}
SHAPES = ("circle", "square", "triangle")
SIZES = {"small": 6.0, "large": 10.0}

# Action -> its time-reversed twin (None: order does not matter).
TWIN = {
    "falls": "rises", "rises": "falls",
    "enters": "leaves", "leaves": "enters",
    "appears": "disappears", "disappears": "appears",
    "grows": "shrinks", "shrinks": "grows",
    "moves left": "moves right", "moves right": "moves left",
    "approach": "separate", "separate": "approach",
    "nothing": None,
}
ACTIONS = tuple(TWIN)

PARAPHRASES = {
    "falls": ["{o} falls", "{o} drops", "{o} falls down"],
    "rises": ["{o} rises", "{o} goes up", "{o} moves up"],
    "enters": ["{o} enters", "{o} comes in", "{o} enters the scene"],
    "leaves": ["{o} leaves", "{o} goes out", "{o} leaves the scene"],
    "appears": ["{o} appears", "{o} shows up", "{o} fades in"],
    "disappears": ["{o} disappears", "{o} vanishes", "{o} fades out"],
    "grows": ["{o} grows", "{o} gets bigger", "{o} grows larger"],
    "shrinks": ["{o} shrinks", "{o} gets smaller", "{o} shrinks down"],
    "moves left": ["{o} moves left", "{o} slides to the left", "{o} goes left"],
    "moves right": ["{o} moves right", "{o} slides to the right", "{o} goes right"],
    "approach": ["{o} and {p} approach", "{o} and {p} move together", "two objects come together"],
    "separate": ["{o} and {p} separate", "{o} and {p} move apart", "two objects move apart"],
    "nothing": ["nothing happens", "{o} stays still", "a quiet scene where nothing happens"],
}

# Held out of training and validation: the test split is made only of these
# colour x action and shape x action combinations.
HELD_OUT_COLOUR = {("yellow", "falls"), ("blue", "rises"), ("green", "grows"), ("red", "shrinks"),
                   ("white", "moves left"), ("purple", "moves right"), ("yellow", "enters"),
                   ("blue", "leaves"), ("red", "appears"), ("green", "disappears")}
HELD_OUT_SHAPE = {("triangle", "falls"), ("circle", "rises"), ("square", "enters"), ("triangle", "leaves"),
                  ("circle", "grows"), ("square", "shrinks"), ("circle", "moves left"),
                  ("triangle", "moves right"), ("square", "appears"), ("triangle", "disappears")}


def held_out(colour, shape, action):
    return (colour, action) in HELD_OUT_COLOUR or (shape, action) in HELD_OUT_SHAPE


def object_phrase(rng, size, colour, shape):
    """How a caption names the object: specific, partial or generic."""
    choice = rng.integers(0, 6)
    if choice == 0:
        return f"a {size} {colour} {shape}"
    if choice in (1, 2):
        return f"a {colour} {shape}"
    if choice == 3:
        return f"the {colour} {shape}"
    if choice == 4:
        return f"a {shape}"
    return "something"


def caption(rng, action, size, colour, shape, other=None, paraphrase=None):
    templates = PARAPHRASES[action]
    template = templates[rng.integers(0, len(templates))] if paraphrase is None else templates[paraphrase]
    o = object_phrase(rng, size, colour, shape)
    p = f"a {other[0]} {other[1]}" if other else "another object"
    return template.format(o=o, p=p)


def canonical_caption(action, colour, shape, other=None):
    """The caption used for retrieval and order-swap tests (first paraphrase)."""
    p = f"a {other[0]} {other[1]}" if other else "another object"
    return PARAPHRASES[action][0].format(o=f"a {colour} {shape}", p=p)


class Background:
    """A two-colour gradient with per-frame noise, a lighting ramp and jitter."""

    def __init__(self, rng):
        a = rng.integers(10, 110, 3).astype(np.float32)
        b = rng.integers(10, 110, 3).astype(np.float32)
        t = np.linspace(0, 1, SIZE, dtype=np.float32)
        ramp = t[:, None] if rng.random() < 0.5 else t[None, :]
        self.image = np.broadcast_to(a + (b - a) * ramp[..., None], (SIZE, SIZE, 3)).copy()
        self.light = (rng.uniform(0.75, 1.0), rng.uniform(0.9, 1.2))
        self.noise = rng.uniform(3, 9)
        self.jitter = rng.integers(0, 3)

    def frame(self, rng, progress):
        light = self.light[0] + (self.light[1] - self.light[0]) * progress
        return self.image * light, light


def shape_mask(shape, cx, cy, r):
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    return inside(shape, x, y, cx, cy, r)


def inside(shape, x, y, cx, cy, r):
    """Which of the points (x, y) the shape covers."""
    if shape == "circle":
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    if shape == "square":
        return (np.abs(x - cx) <= r * 0.85) & (np.abs(y - cy) <= r * 0.85)
    # triangle pointing up
    top, bottom = cy - r, cy + r * 0.8
    inside_y = (y >= top) & (y <= bottom)
    half = (y - top) / (bottom - top + 1e-6) * r
    return inside_y & (np.abs(x - cx) <= half)


def render(rng, background, objects, progress):
    """objects: list of (shape, colour, cx, cy, r, alpha)."""
    image, light = background.frame(rng, progress)
    image = image.copy()
    for shape, colour, cx, cy, r, alpha in objects:
        if r <= 0.5 or alpha <= 0:
            continue
        mask = shape_mask(shape, cx, cy, r)
        colour_rgb = np.array(COLOURS[colour], np.float32) * light
        image[mask] = image[mask] * (1 - alpha) + colour_rgb * alpha
    image += rng.normal(0, background.noise, image.shape).astype(np.float32)
    if background.jitter:
        dx, dy = rng.integers(-background.jitter, background.jitter + 1, 2)
        image = np.roll(image, (dy, dx), axis=(0, 1))
    return np.clip(image, 0, 255).astype(np.uint8)


class ClassicScene:
    """The first renderer (64 px, gradient backgrounds, render above) as a scene
    (styles.py): objects at their drawn size and speed, stored at CRF 16."""

    size, scale, pace, crf = SIZE, 1.0, 1.0, 16

    def __init__(self, rng):
        self.background = Background(rng)

    def paint(self, rng, objects):
        return render(rng, self.background, objects, 0.5)

    def describe(self):
        return {"family": "classic", "size": SIZE, "crf": self.crf}


# An object's state between actions.
class State:
    def __init__(self, visible, cx, cy, r):
        self.visible, self.cx, self.cy, self.r = visible, cx, cy, r

    def key(self):
        return (self.cx, self.cy, self.r, 1.0 if self.visible else 0.0)


def margin(r):
    return r + 2


def valid_actions(state, base_r):
    """Single-object actions that can start from `state`."""
    if not state.visible:
        return ["appears", "enters"]
    m = margin(state.r)
    actions = ["disappears", "leaves"]
    if state.cy < SIZE / 2 - 4:
        actions.append("falls")
    if state.cy > SIZE / 2 + 4:
        actions.append("rises")
    if state.cx > SIZE / 2 + 4:
        actions.append("moves left")
    if state.cx < SIZE / 2 - 4:
        actions.append("moves right")
    grown = base_r * 1.6
    if state.r < base_r * 0.8 and grown + 1 < min(state.cx, state.cy, SIZE - state.cx, SIZE - state.cy):
        actions.append("grows")
    if state.r > base_r * 0.8 and state.r * 0.45 > 2:
        actions.append("shrinks")
    return [a for a in actions if m > 0]


def step(rng, action, state, base_r):
    """(start keyframe, end keyframe, new state) of `action` from `state`."""
    cx, cy, r = state.cx, state.cy, state.r
    m = margin(r)
    start = state.key()
    if action == "appears":
        r = base_r
        cx, cy = rng.uniform(margin(r), SIZE - margin(r), 2)
        return (cx, cy, r, 0.0), (cx, cy, r, 1.0), State(True, cx, cy, r)
    if action == "enters":
        r = base_r
        cy = rng.uniform(margin(r), SIZE - margin(r))
        side = -r - 1 if rng.random() < 0.5 else SIZE + r + 1
        target = rng.uniform(SIZE * 0.3, SIZE * 0.7)
        return (side, cy, r, 1.0), (target, cy, r, 1.0), State(True, target, cy, r)
    if action == "disappears":
        return start, (cx, cy, r, 0.0), State(False, cx, cy, r)
    if action == "leaves":
        side = -r - 1 if cx < SIZE / 2 else SIZE + r + 1
        return start, (side, cy, r, 1.0), State(False, side, cy, r)
    if action == "falls":
        return start, (cx, SIZE - m, r, 1.0), State(True, cx, SIZE - m, r)
    if action == "rises":
        return start, (cx, m, r, 1.0), State(True, cx, m, r)
    if action == "moves left":
        return start, (m, cy, r, 1.0), State(True, m, cy, r)
    if action == "moves right":
        return start, (SIZE - m, cy, r, 1.0), State(True, SIZE - m, cy, r)
    if action == "grows":
        return start, (cx, cy, base_r * 1.6, 1.0), State(True, cx, cy, base_r * 1.6)
    if action == "shrinks":
        return start, (cx, cy, r * 0.45, 1.0), State(True, cx, cy, r * 0.45)
    raise ValueError(action)


class Film:
    """Frames of one scene (how the camera looks) with objects following keyframed
    segments; the scene's pace stretches or shortens every movement."""

    def __init__(self, rng, scene):
        self.rng, self.scene, self.frames = rng, scene, []
        self.states = []  # per frame: (cx, cy, r, alpha) of the first object, zeros when there is none

    def hold(self, looks, keys, seconds):
        for _ in range(max(0, int(round(seconds * FPS)))):
            self.frames.append(self._render(looks, keys))

    def move(self, looks, starts, ends, seconds):
        n = max(2, int(round(seconds * self.scene.pace * FPS)))
        begin = len(self.frames)
        for i in range(n):
            t = i / (n - 1)
            keys = [[a + (b - a) * t for a, b in zip(s, e)] for s, e in zip(starts, ends)]
            self.frames.append(self._render(looks, keys))
        return begin / FPS, len(self.frames) / FPS

    def _render(self, looks, keys):
        self.states.append(tuple(keys[0]) if keys else (0.0, 0.0, 0.0, 0.0))
        objects = [(shape, colour, *key) for (shape, colour), key in zip(looks, keys)]
        return self.scene.paint(self.rng, objects)


def pick_look(rng):
    return (list(COLOURS)[rng.integers(0, len(COLOURS))], SHAPES[rng.integers(0, len(SHAPES))],
            list(SIZES)[rng.integers(0, len(SIZES))])


def allowed(split, colour, shape, action):
    """Train and validation never show a held-out combination; the test split shows only those for its targets."""
    return not held_out(colour, shape, action) if split != "test" else True


def random_state(rng, base_r):
    if rng.random() < 0.25:
        return State(False, 0, 0, base_r)
    r = base_r * (0.45 if rng.random() < 0.3 else 1.0)
    cx, cy = rng.uniform(margin(r), SIZE - margin(r), 2)
    return State(True, cx, cy, r)


def pair_clip(rng, split, film):
    """Two objects approaching or separating (short clips only)."""
    while True:
        action = ["approach", "separate"][rng.integers(0, 2)]
        colour, shape, size = pick_look(rng)
        other = pick_look(rng)[:2]
        if held_out(colour, shape, action) == (split == "test"):
            break
    r = SIZES[size] * rng.uniform(0.85, 1.15) * film.scene.scale
    cy = rng.uniform(margin(r), SIZE - margin(r))
    near, far, mid = r + 1, SIZE / 2 - r - 1, SIZE / 2
    a, b = (far, near) if action == "approach" else (near, far)
    looks = [(shape, colour), (other[1], other[0])]
    starts = [(mid - a, cy, r, 1.0), (mid + a, cy, r, 1.0)]
    ends = [(mid - b, cy, r, 1.0), (mid + b, cy, r, 1.0)]
    film.hold(looks, starts, rng.uniform(0.5, 2.0))
    begin, end = film.move(looks, starts, ends, rng.uniform(1.25, 2.5))
    film.hold(looks, ends, rng.uniform(0.0, 0.5))
    return action, size, colour, shape, other, begin, end


def make_clip(rng, split, scene=None):
    """One clip, 2-6 s, captioned by what happened last: usually a single-object
    action after 0-2 earlier actions of the same object (context), sometimes two
    objects approaching or separating, an empty scene, or an action followed by
    a long still stretch ("nothing happens": the heads must also forget)."""
    film = Film(rng, scene or ClassicScene(rng))
    # The test split is made of held-out single-object actions only.
    kind = rng.random() if split != "test" else 1.0
    if kind < 0.06:
        film.hold([], [], rng.uniform(2, 5))
        text = [BACKGROUND_CAPTIONS[rng.integers(0, len(BACKGROUND_CAPTIONS))]]
        return clip_record(film, "nothing", None, None, None, None, text[0], 0, 0)
    if kind < 0.16:
        action, size, colour, shape, other, begin, end = pair_clip(rng, split, film)
        return clip_record(film, action, size, colour, shape, other,
                           caption(rng, action, size, colour, shape, other), begin, end)
    singles = [a for a in ACTIONS if a not in ("approach", "separate", "nothing")]
    while True:  # the action first (balanced), then a look and a state it can start from
        target = singles[rng.integers(0, len(singles))]
        colour, shape, size = pick_look(rng)
        if held_out(colour, shape, target) != (split == "test"):
            continue
        base_r = SIZES[size] * rng.uniform(0.85, 1.15) * film.scene.scale
        state = random_state(rng, base_r)
        for _ in range(50):
            if target in valid_actions(state, base_r):
                break
            state = random_state(rng, base_r)
        if target in valid_actions(state, base_r):
            break
    looks = [(shape, colour)]
    # Context: earlier actions that led to `state`, built backwards as the
    # reversal (twin) of random actions taken from it.
    context = []
    for _ in range(rng.integers(0, 3)):
        options = [a for a in valid_actions(state, base_r) if allowed(split, colour, shape, TWIN[a])]
        if not options:
            break
        a = options[rng.integers(0, len(options))]
        start, end, before = step(rng, a, state, base_r)
        context.insert(0, (end, start))  # played forwards: from `before` back to `state`
        state = before
    first = context[0][0] if context else state.key()
    film.hold(looks, [first], rng.uniform(0.25, 1.0))
    for start, end in context:
        film.move(looks, [start], [end], rng.uniform(1.0, 2.0))
        film.hold(looks, [end], rng.uniform(0.25, 0.75))
    start, end, after = step(rng, target, state_from(context, state), base_r)
    begin, finish = film.move(looks, [start], [end], rng.uniform(1.25, 2.5))
    if split != "test" and rng.random() < 0.12:
        film.hold(looks, [end], rng.uniform(2.0, 3.0))
        text = STILL_CAPTIONS[rng.integers(0, len(STILL_CAPTIONS))].format(
            o=object_phrase(rng, size, colour, shape))
        return clip_record(film, "nothing", size, colour, shape, None, text, begin, finish)
    film.hold(looks, [end], rng.uniform(0.0, 0.5))
    return clip_record(film, target, size, colour, shape, None, caption(rng, target, size, colour, shape),
                       begin, finish)


def state_from(context, state):
    if not context:
        return state
    cx, cy, r, alpha = context[-1][1]
    return State(alpha > 0.5 and -r < cx < SIZE + r, cx, cy, r)


BACKGROUND_CAPTIONS = ["nothing happens", "an empty room", "an empty street", "a quiet scene where nothing happens",
                       "a plain wall", "an empty scene"]
STILL_CAPTIONS = ["nothing happens", "{o} stays still", "a quiet scene where nothing happens"]


def clip_record(film, action, size, colour, shape, other, text, begin, end):
    twin = TWIN.get(action)
    return {
        "frames": np.stack(film.frames), "states": np.array(film.states, np.float32), "action": action,
        "size": size, "colour": colour, "shape": shape,
        "other": other, "caption": text,
        "canonical": canonical_caption(action, colour, shape, other) if colour else text,
        "twin": canonical_caption(twin, colour, shape, other) if twin and colour else None,
        "action_start": begin, "action_end": end, "style": film.scene.describe(),
    }


def long_video(rng, seconds, split, scene=None):
    """A camera: objects come in, act and go, one after another, with idle
    stretches; returns (frames, events, states), states as in Film. In the
    test split each action is a held-out combination when the object's state
    allows one."""
    film = Film(rng, scene or ClassicScene(rng))
    events = []
    film.hold([], [], rng.uniform(2, 4))
    while len(film.frames) < seconds * FPS:
        colour, shape, size = pick_look(rng)
        base_r = SIZES[size] * rng.uniform(0.85, 1.15) * film.scene.scale
        looks, state = [(shape, colour)], State(False, 0, 0, base_r)
        for index in range(rng.integers(3, 6)):
            choices = valid_actions(state, base_r)
            if index >= 2:  # time to go
                choices = [a for a in choices if a in ("disappears", "leaves")] or choices
            elif state.visible:
                choices = [a for a in choices if a not in ("disappears", "leaves")] or choices
            preferred = [a for a in choices if held_out(colour, shape, a)] if split == "test" else [
                a for a in choices if not held_out(colour, shape, a)]
            action = (preferred or choices)[rng.integers(0, len(preferred or choices))]
            start, end, state = step(rng, action, state, base_r)
            begin, finish = film.move(looks, [start], [end], rng.uniform(1.25, 2.5))
            events.append({"start": round(begin, 3), "end": round(finish, 3), "action": action,
                           "caption": canonical_caption(action, colour, shape), "look": [size, colour, shape]})
            film.hold(looks, [end], rng.uniform(1.0, 2.5))
            if not state.visible:
                break
        if state.visible:  # make sure it goes
            action = "leaves" if rng.random() < 0.5 else "disappears"
            start, end, state = step(rng, action, state, base_r)
            begin, finish = film.move(looks, [start], [end], rng.uniform(1.25, 2.5))
            events.append({"start": round(begin, 3), "end": round(finish, 3), "action": action,
                           "caption": canonical_caption(action, colour, shape), "look": [size, colour, shape]})
        film.hold([], [], rng.uniform(2, 4))
    return film.frames, events, np.array(film.states, np.float32)
