// The host's links as the doctor needs them, from one `ip -j -d addr show`: pure parsing.
import { parseIpJson } from '../net/links.js';

export interface HostLink {
  name: string;
  kind: string | undefined;
  master: string | undefined;
  up: boolean;
  ipv4: string[];
}

interface IpAddrJson {
  ifname?: string;
  master?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string }[];
}

export function parseHostLinks(json: string): HostLink[] {
  return parseIpJson<IpAddrJson>(json, 'the host links').flatMap((link) =>
    link.ifname === undefined
      ? []
      : [
          {
            name: link.ifname,
            kind: link.linkinfo?.info_kind,
            master: link.master,
            up: link.flags?.includes('UP') ?? false,
            ipv4: (link.addr_info ?? []).filter((addr) => addr.family === 'inet' && addr.local !== undefined).map((addr) => addr.local!),
          },
        ],
  );
}
