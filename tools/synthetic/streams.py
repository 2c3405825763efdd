"""Stream training for the Mamba adapter: the daemon never sees a clip, it
steps one state through an endless camera stream and is asked at every frame
which rule holds. Clip training alone leaves that state unprepared for what
came before (earlier actions, other objects, long idle stretches), so the
adapter is also trained on long "camera" videos of the training split
(world.long_video), read out at every frame: during an action (from half a
second into it until a second after it ends) the frame must name that action
rather than any other action of the same object, "nothing happens" or one of
the daemon's background prompts (the contrasts every rule's calibrated score
also has); well after an action it must say "nothing happens" rather than an
action; in between nothing is asked.

Recolouring: the training videos never show a held-out combination, so there
colour and shape predict the action (a blue object never leaves, it always
disappears) and a head is free to learn that shortcut. Some windows therefore
move every object to another colour and shape in embedding space (adding the
difference of the mean frame embeddings of the two looks, in proportion to how
much of the object is in view) and are asked about "something", so the head
must read the motion, not the look.
"""
import numpy as np
import torch
import torch.nn.functional as F

import world

MODEL_FPS = 4
# Single-object actions the camera videos contain, and "nothing" (idle).
CLASSES = [a for a in world.ACTIONS if a not in ("approach", "separate")]
ACTIVE_FROM = 0.5  # seconds into an action from which it must be named
ACTIVE_UNTIL = 1.0  # seconds after its end until which it may still be named
IDLE_AFTER = 2.5  # seconds after an action's end from which "nothing happens" holds
WARM_UP = 8  # frames a window runs before it is read (its state starts mid-stream)


def object_phrases():
    """Every way world.object_phrase names an object."""
    phrases = ["something"]
    for colour in world.COLOURS:
        for shape in world.SHAPES:
            phrases += [f"a {colour} {shape}", f"the {colour} {shape}", f"a {shape}"]
            phrases += [f"a {size} {colour} {shape}" for size in world.SIZES]
    return sorted(set(phrases))


def candidate_caption(action, phrase):
    return "nothing happens" if action == "nothing" else world.PARAPHRASES[action][0].format(o=phrase)


class Streams:
    """Embedded training camera videos with a per-frame (class, object phrase) label."""

    def __init__(self, rng, videos, embed, ensemble, log, backgrounds=()):
        """videos: camera.videos() of the training split; rng names the objects."""
        phrases = object_phrases()
        phrase_index = {p: i for i, p in enumerate(phrases)}
        self.something = phrase_index["something"]
        self.embeddings, self.classes, self.phrases, self.looks, self.visible = [], [], [], [], []
        for frames, events, states in videos:
            e = embed(np.stack(frames[::2]))
            named = [phrase_index[world.object_phrase(rng, *ev["look"])] for ev in events]
            classes, objects = self.label(len(e), events, named, self.something)
            self.embeddings.append(e)
            self.classes.append(torch.tensor(classes))
            self.phrases.append(torch.tensor(objects))
            self.looks.append(self.frame_looks(len(e), events))
            self.visible.append(torch.from_numpy(visibility(states[::2])))
        self.shifts = self.look_means()
        texts = [candidate_caption(a, p) for p in phrases for a in CLASSES]
        self.candidates = ensemble(texts).reshape(len(phrases), len(CLASSES), -1)
        self.backgrounds = ensemble(list(backgrounds)) if backgrounds else None
        labelled = sum(int((c >= 0).sum()) for c in self.classes)
        log(f"stream training: {sum(len(e) for e in self.embeddings)} frames, {labelled} labelled")

    @staticmethod
    def frame_looks(n, events):
        """Per model-rate frame: (colour index, shape index) of the object last acted on, (-1, -1) before any."""
        colours, shapes = list(world.COLOURS), list(world.SHAPES)
        looks = np.full((n, 2), -1)
        for ev in events:
            _, colour, shape = ev["look"]
            looks[int(np.ceil(ev["start"] * MODEL_FPS)):] = (colours.index(colour), shapes.index(shape))
        return torch.from_numpy(looks)

    def look_means(self):
        """Mean embedding of frames that show the whole object, per colour and per shape, centred."""
        e = torch.cat(self.embeddings)
        looks = torch.cat(self.looks)
        shown = (torch.cat(self.visible) > 0.95) & (looks[:, 0] >= 0)
        means = []
        for column, count in ((0, len(world.COLOURS)), (1, len(world.SHAPES))):
            groups = [e[shown & (looks[:, column] == i)] for i in range(count)]
            m = torch.stack([g.mean(0) if len(g) else e[shown].mean(0) for g in groups])  # unseen look: no shift
            means.append(m - m.mean(0))
        return means

    def recoloured(self, e, looks, visible, rng):
        """`e` with every object moved to one random other look (colour and shape)."""
        target = (int(rng.integers(0, len(world.COLOURS))), int(rng.integers(0, len(world.SHAPES))))
        shift = torch.zeros_like(e)
        for column, means in enumerate(self.shifts):
            present = looks[:, column] >= 0
            shift[present] += means[target[column]] - means[looks[present, column]]
        return F.normalize(e + visible[:, None] * shift, dim=-1)

    @staticmethod
    def label(n, events, named, something):
        """Per model-rate frame: class index or -1 (not asked), and the phrase naming the object."""
        classes, objects = [-1] * n, [something] * n
        for k in range(n):
            t = k / MODEL_FPS
            active = [i for i, ev in enumerate(events) if ev["start"] + ACTIVE_FROM <= t <= ev["end"] + ACTIVE_UNTIL]
            recent = [i for i, ev in enumerate(events) if ev["start"] <= t]
            if recent:
                objects[k] = named[recent[-1]]
            if active:
                classes[k] = CLASSES.index(events[active[-1]]["action"])
            elif not any(ev["start"] <= t <= ev["end"] + IDLE_AFTER for ev in events):
                classes[k] = CLASSES.index("nothing")
        return classes, objects

    def loss(self, head, rng, batch, window, scale, recolour=0.0):
        """Cross-entropy of the head's per-frame output against the candidates of each read frame;
        `recolour`: share of windows recoloured (see the module's comment)."""
        rows, classes, objects, valid = [], [], [], []
        for _ in range(batch):
            v = int(rng.integers(0, len(self.embeddings)))
            n = len(self.embeddings[v])
            start = 0 if rng.random() < 0.25 or n <= window else int(rng.integers(0, n - window + 1))
            end = min(n, start + window)
            e, named = self.embeddings[v][start:end], self.phrases[v][start:end]
            if rng.random() < recolour:
                e = self.recoloured(e, self.looks[v][start:end], self.visible[v][start:end], rng)
                named = torch.full_like(named, self.something)
            rows.append(e)
            classes.append(self.classes[v][start:end])
            objects.append(named)
            read = classes[-1] >= 0
            if start > 0:
                read[:WARM_UP] = False
            valid.append(read)
        length = min(len(r) for r in rows)
        e = torch.stack([r[:length] for r in rows])
        out = head.sequence(e)  # (batch, length, d), normalised
        c = torch.stack([x[:length] for x in classes])
        o = torch.stack([x[:length] for x in objects])
        mask = torch.stack([x[:length] for x in valid])
        candidates = self.candidates[o[mask]]  # (reads, classes, d)
        logits = scale * torch.einsum("rd,rcd->rc", out[mask], candidates)
        if self.backgrounds is not None:
            # Backgrounds contrast actions only: "a quiet scene" is right when nothing happens.
            extra = scale * out[mask] @ self.backgrounds.T
            idle = c[mask] == CLASSES.index("nothing")
            logits = torch.cat([logits, extra.masked_fill(idle[:, None], float("-inf"))], dim=1)
        return F.cross_entropy(logits, c[mask])

    def accuracy(self, head):
        """Share of labelled frames whose class wins, over all streams run from their start."""
        right = total = 0
        with torch.no_grad():
            for e, c, o in zip(self.embeddings, self.classes, self.phrases):
                out = head.sequence(e[None])[0]
                mask = c >= 0
                logits = torch.einsum("rd,rcd->rc", out[mask], self.candidates[o[mask]])
                right += int((logits.argmax(1) == c[mask]).sum())
                total += int(mask.sum())
        return right / max(total, 1)


def visibility(states):
    """Share of the object in view per frame (alpha times the part of its width inside the picture)."""
    cx, r, alpha = states[:, 0], np.maximum(states[:, 2], 1e-6), states[:, 3]
    inside = (np.minimum(cx + r, world.SIZE) - np.maximum(cx - r, 0)) / (2 * r)
    return (alpha * np.clip(inside, 0, 1)).astype(np.float32)
