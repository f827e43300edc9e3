/**
 * awk programs the guest's init uses to read the CIDATA documents. cloud-init's YAML is
 * written by our own generator (block style, YAML 1.1 quoting), so a small reader that
 * knows mappings, sequences and the three scalar styles is enough; busybox has no YAML tool.
 */

/** Flattens block YAML to `path=value` lines, e.g. `ethernets.primary.addresses.0=10.0.0.2/24`. */
export const YAML_FLAT_AWK = String.raw`# Turns block-style YAML into path=value lines; sequence items are numbered from 0.
function unescape(v,   out, i, c) {
  out = ""
  for (i = 1; i <= length(v); i++) {
    c = substr(v, i, 1)
    if (c == "\\") {
      i++
      c = substr(v, i, 1)
      if (c == "n") c = "\n"
      else if (c == "t") c = "\t"
    }
    out = out c
  }
  return out
}
function scalar(v) {
  if (v ~ /^"/) { v = substr(v, 2); sub(/"[ \t]*(#.*)?$/, "", v); return unescape(v) }
  if (v ~ /^'/) { v = substr(v, 2); sub(/'[ \t]*(#.*)?$/, "", v); gsub(/''/, "'", v); return v }
  sub(/[ \t]+#.*$/, "", v)
  sub(/[ \t]+$/, "", v)
  return v
}
{
  sub(/\r$/, "")
  line = $0
  if (line ~ /^[ \t]*(#.*)?$/ || line ~ /^(---|\.\.\.)/) next
  match(line, /^ */)
  ind = RLENGTH
  rest = substr(line, ind + 1)
  while (rest ~ /^-( |$)/) {
    # A sequence item closes deeper levels and the previous item at its own column.
    while (depth > 0 && (col[depth] > ind || (col[depth] == ind && kind[depth] == "item"))) depth--
    parent = depth > 0 ? path[depth] : ""
    n = count[parent] + 0
    count[parent] = n + 1
    depth++
    col[depth] = ind
    kind[depth] = "item"
    path[depth] = (parent == "" ? "" : parent ".") n
    rest = substr(rest, 2)
    match(rest, /^ */)
    ind += 1 + RLENGTH
    rest = substr(rest, RLENGTH + 1)
  }
  if (rest == "") next
  while (depth > 0 && col[depth] >= ind) depth--
  if (match(rest, /^[^"' ][^:]*:( |$)/)) {
    key = substr(rest, 1, RLENGTH)
    value = substr(rest, RLENGTH + 1)
    sub(/: ?$/, "", key)
    sub(/^[ \t]+/, "", value)
    full = (depth > 0 ? path[depth] "." : "") key
    if (value == "" || value ~ /^#/) {
      depth++
      col[depth] = ind
      kind[depth] = "key"
      path[depth] = full
      count[full] = 0
    } else {
      print full "=" scalar(value)
    }
  } else {
    print (depth > 0 ? path[depth] : "") "=" scalar(rest)
  }
}
`

/**
 * Reads the flattened network-config (v2) and prints, per ethernet matched by MAC:
 * `nic <mac>`, then `addr <ip/prefix>`, `gateway <ip>` and `dns <ip>` lines; `skip <id>`
 * for an ethernet without a MAC to match.
 */
export const NETWORK_PLAN_AWK = String.raw`{
  eq = index($0, "=")
  key = substr($0, 1, eq - 1)
  value = substr($0, eq + 1)
  if (substr(key, 1, 10) != "ethernets.") next
  rest = substr(key, 11)
  dot = index(rest, ".")
  if (dot == 0) next
  id = substr(rest, 1, dot - 1)
  field = substr(rest, dot + 1)
  if (!(id in seen)) { seen[id] = 1; ids[++n] = id }
  if (field == "match.macaddress") mac[id] = tolower(value)
  else if (field ~ /^addresses\.[0-9]+$/) addr[id, ++naddr[id]] = value
  else if (field == "gateway4") gw4[id] = value
  else if (field ~ /^nameservers\.addresses\.[0-9]+$/) dns[id, ++ndns[id]] = value
  else if (field ~ /^routes\.[0-9]+\.(to|via)$/) {
    split(field, part, ".")
    r = part[2]
    if (!((id, r) in routeSeen)) { routeSeen[id, r] = 1; route[id, ++nroute[id]] = r }
    if (part[3] == "to") routeTo[id, r] = value
    else routeVia[id, r] = value
  }
}
END {
  for (i = 1; i <= n; i++) {
    id = ids[i]
    if (mac[id] == "") { print "skip " id; continue }
    print "nic " mac[id]
    for (j = 1; j <= naddr[id]; j++) print "addr " addr[id, j]
    gateway = gw4[id]
    for (j = 1; j <= nroute[id]; j++) {
      r = route[id, j]
      if (routeTo[id, r] == "default" || routeTo[id, r] == "0.0.0.0/0") gateway = routeVia[id, r]
    }
    if (gateway != "") print "gateway " gateway
    for (j = 1; j <= ndns[id]; j++) print "dns " dns[id, j]
  }
}
`
