"""Repeats (一事多诉) and rebounds (问题反弹): cases of the same category close in place and time."""
