# Sends raw Ethernet frames, given as hex, out of one interface, in order (the tests' hostile
# container: frames no ordinary tool would build). Usage: send-frames.py IFACE HEX...
import os
import socket
import sys

# One CPU: frames sent back to back reach the bridge in the order they were sent.
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((sys.argv[1], 0))
for frame in sys.argv[2:]:
    sock.send(bytes.fromhex(frame))
