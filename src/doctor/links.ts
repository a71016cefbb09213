// The host's links as the doctor needs them, from one `ip -j -d addr show`: pure parsing.
import { IpperError } from '../errors.js';

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
  let links: IpAddrJson[];
  try {
    links = JSON.parse(json) as IpAddrJson[];
  } catch {
    throw new IpperError('COMMAND_FAILED', 'cannot read the host links (ip printed no JSON)');
  }
  return links.flatMap((link) =>
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
