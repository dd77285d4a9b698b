//! Which resolved addresses a sandboxed request may reach: public unicast only, unless
//! the host was started with `--allow-private-network`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, or None when it is public.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    if a.is_unspecified() || o[0] == 0 {
        Some("unspecified / this-network address")
    } else if a.is_loopback() {
        Some("loopback address")
    } else if a.is_private() {
        Some("private address")
    } else if a.is_link_local() {
        Some("link-local address")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("carrier-grade NAT (CGNAT) address")
    } else if a.is_multicast() {
        Some("multicast address")
    } else if a.is_broadcast() || o[0] >= 240 {
        Some("reserved or broadcast address")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("IETF protocol assignment address")
    } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
        Some("benchmarking network address")
    } else {
        None
    }
}

fn v6_reason(a: Ipv6Addr) -> Option<&'static str> {
    let s = a.segments();
    if a.is_unspecified() {
        return Some("unspecified address");
    }
    if a.is_loopback() {
        return Some("loopback address");
    }
    // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d
    if let Some(v4) = a.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    if s[0..6] == [0, 0, 0, 0, 0, 0] {
        return v4_reason(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    // NAT64 well-known prefix 64:ff9b::/96 embeds an IPv4 address
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return v4_reason(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    // 6to4 2002:AABB:CCDD::/48 embeds an IPv4 address
    if s[0] == 0x2002 {
        if let Some(r) = v4_reason(Ipv4Addr::from(((s[1] as u32) << 16) | s[2] as u32)) {
            return Some(r);
        }
    }
    if (s[0] & 0xfe00) == 0xfc00 {
        Some("unique-local (private) address")
    } else if (s[0] & 0xffc0) == 0xfe80 {
        Some("link-local address")
    } else if (s[0] & 0xffc0) == 0xfec0 {
        Some("site-local address")
    } else if (s[0] & 0xff00) == 0xff00 {
        Some("multicast address")
    } else if s[0] == 0x100 && s[1..4] == [0, 0, 0] {
        Some("discard-only address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: &str) -> bool {
        forbidden_reason(s.parse().unwrap()).is_some()
    }

    #[test]
    fn refuses_every_non_public_class() {
        for a in [
            "0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1",
            "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255",
            "224.0.0.1", "239.255.255.255", "255.255.255.255", "240.0.0.1", "::", "::1",
            "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "ff02::1", "::ffff:127.0.0.1",
            "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a00:1",
            "2002:7f00:1::1", "2002:c0a8:101::1", "fec0::1",
        ] {
            assert!(refused(a), "{a} must be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for a in [
            "8.8.8.8", "130.14.29.110", "172.32.0.1", "100.128.0.1", "1.1.1.1",
            "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1", "64:ff9b::808:808",
        ] {
            assert!(!refused(a), "{a} must be allowed");
        }
    }
}
