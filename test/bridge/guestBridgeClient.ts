/**
 * The stand-in blueprint service for the end-to-end bridge tests, run as root in a Debian guest:
 * a real gRPC client library (python3-grpcio from the Debian archive) does what a runner and a
 * real blueprint do: Ping, RequestPort, RegisterBlueprintServiceProxy, then serve HTTP on the
 * port it was given. grpcio has no vsock, so over vsock socat carries a Unix socket to CID 2
 * port 8000 as the runner's own vsock dial would; over the relay it dials BRIDGE_SOCKET_PATH.
 * grpcio is used without generated stubs (no protoc in the guest): the four small messages are
 * written in protobuf's wire format here; HTTP/2 and gRPC framing are the library's.
 * `OTHER_BRIDGE` (host:port), when set, is another instance's relay port, which must refuse it.
 */
export const GUEST_BRIDGE_SERVICE = `#!/bin/sh
if [ -n "$BRIDGE_SOCKET_PATH" ]; then
  sock=$BRIDGE_SOCKET_PATH
  echo "svc: bridge through the relay at $sock"
else
  # Loaded by the guest itself (the device's modalias), as a runner that dials vsock expects.
  grep -q '^vmw_vsock_virtio_transport ' /proc/modules && echo "svc: vsock transport loaded"
  sock=/run/svc-bridge.sock
  socat UNIX-LISTEN:$sock,fork VSOCK-CONNECT:2:8000 &
  i=0; while [ ! -S $sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  echo "svc: bridge over vsock through $sock"
fi
exec /usr/bin/python3 -u - "$sock" <<'PYTHON'
import http.server, os, signal, sys, time
import grpc

BRIDGE = '/blueprint_manager_bridge.BlueprintManagerBridge/'

def varint(n):
    out = b''
    while True:
        byte = n & 0x7f
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])

def field_varint(number, value):
    return varint(number << 3) + varint(value)

def field_bytes(number, data):
    return varint((number << 3) | 2) + varint(len(data)) + data

def read_varint(data, at):
    shift = value = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7f) << shift
        shift += 7
        if not byte & 0x80:
            return value, at

def call(channel, method, body=b''):
    return channel.unary_unary(BRIDGE + method)(body, timeout=10)

channel = grpc.insecure_channel('unix:' + sys.argv[1])
for attempt in range(100):
    try:
        call(channel, 'Ping')
        break
    except grpc.RpcError as error:
        last = error.code().name
        time.sleep(0.5)
else:
    print('svc: no bridge:', last, flush=True)
    sys.exit(1)
print('svc: pinged the bridge', flush=True)

answer = call(channel, 'RequestPort', field_varint(1, 18080))
port = read_varint(answer, 1)[0] if answer else 0
print('svc: port', port, flush=True)

service_id = int(os.environ['SERVICE_ID'])
owner = field_varint(1, 1) + field_bytes(2, bytes([2]) * 33)
register = field_varint(1, service_id) + field_bytes(2, b'svc_') + field_bytes(3, ('http://127.0.0.1:%d' % port).encode()) + field_bytes(4, owner)
call(channel, 'RegisterBlueprintServiceProxy', register)
print('svc: registered', flush=True)
try:
    call(channel, 'UnregisterBlueprintServiceProxy', field_varint(1, service_id + 1))
except grpc.RpcError as error:
    print('svc: another service id:', error.code().name, flush=True)

other = os.environ.get('OTHER_BRIDGE')
if other:
    try:
        call(grpc.insecure_channel('ipv4:' + other), 'Ping')
        print('svc: the other bridge answered', flush=True)
    except grpc.RpcError as error:
        print('svc: the other bridge:', error.code().name, flush=True)

class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ('hello from the guest on port %d\\n' % port).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

signal.signal(signal.SIGINT, lambda *args: sys.exit(0))
server = http.server.HTTPServer(('0.0.0.0', port), Hello)
print('svc: serving on', port, flush=True)
server.serve_forever()
PYTHON
`
