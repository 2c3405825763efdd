"""The daemon's long-term memory in Python, entry for entry: MA-LMM's memory
bank compression over fixed time blocks, as Sources/History/MemoryBank.swift
(`MemoryBank`, `BlockedMemory`) stores it. Each block of `block_seconds`
(starting on multiples of it) holds at most `capacity` entries; a frame that
would exceed it makes the two adjacent entries whose means are most alike
(cosine; the first such pair on a tie) merge: means weighted by frame count
(float32, as Swift), spans joined. The retrospective trainer learns on these
sequences; Tests/Fixtures/mamba/memory_bank.io.safetensors holds one that the
Swift bank must reproduce.
"""
import numpy as np


def _cosine(a, b):
    """Embedding.cosine: dot over the product of norms, 0 for a zero vector (in double precision)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    na, nb = (a * a).sum(), (b * b).sum()
    return float((a * b).sum() / np.sqrt(na * nb)) if na > 0 and nb > 0 else 0.0


def compress_block(embeddings, times, capacity):
    """One block's entries: [(start, end, frames, mean float32)] in time order."""
    entries = []
    for embedding, time in zip(embeddings, times):
        entries.append([float(time), float(time), 1, np.asarray(embedding, np.float32)])
        if len(entries) <= capacity:
            continue
        best, best_similarity = 0, -np.inf
        for i in range(len(entries) - 1):
            similarity = _cosine(entries[i][3], entries[i + 1][3])
            if similarity > best_similarity:
                best, best_similarity = i, similarity
        a, b = entries[best], entries[best + 1]
        total = a[2] + b[2]
        wa, wb = np.float32(a[2] / total), np.float32(b[2] / total)
        entries[best] = [a[0], b[1], total, (wa * a[3] + wb * b[3]).astype(np.float32)]
        del entries[best + 1]
    return entries


def compress(embeddings, times, block_seconds, capacity):
    """A stream's memory: every block's entries, blocks in time order (times must not decrease)."""
    times = np.asarray(times, np.float64)
    blocks = np.floor(times / block_seconds)
    out = []
    for block in np.unique(blocks):
        inside = np.nonzero(blocks == block)[0]
        out += compress_block(np.asarray(embeddings)[inside], times[inside], capacity)
    return out
