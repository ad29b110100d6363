package sesh

// withCaps returns m dressed with the capabilities caps names: one struct
// type per combination, so that a type assertion on the result finds
// exactly the capabilities the two stores can honour together.
func (m *migrating) withCaps(caps int) Store {
	t, s, l, u, p := migToucher{m}, migSwapper{m}, migLister{m}, migUserIndex{m}, migPurger{m}
	switch caps {
	case capTouch:
		return struct {
			*migrating
			migToucher
		}{m, t}
	case capSwap:
		return struct {
			*migrating
			migSwapper
		}{m, s}
	case capTouch | capSwap:
		return struct {
			*migrating
			migToucher
			migSwapper
		}{m, t, s}
	case capList:
		return struct {
			*migrating
			migLister
		}{m, l}
	case capTouch | capList:
		return struct {
			*migrating
			migToucher
			migLister
		}{m, t, l}
	case capSwap | capList:
		return struct {
			*migrating
			migSwapper
			migLister
		}{m, s, l}
	case capTouch | capSwap | capList:
		return struct {
			*migrating
			migToucher
			migSwapper
			migLister
		}{m, t, s, l}
	case capUsers:
		return struct {
			*migrating
			migUserIndex
		}{m, u}
	case capTouch | capUsers:
		return struct {
			*migrating
			migToucher
			migUserIndex
		}{m, t, u}
	case capSwap | capUsers:
		return struct {
			*migrating
			migSwapper
			migUserIndex
		}{m, s, u}
	case capTouch | capSwap | capUsers:
		return struct {
			*migrating
			migToucher
			migSwapper
			migUserIndex
		}{m, t, s, u}
	case capList | capUsers:
		return struct {
			*migrating
			migLister
			migUserIndex
		}{m, l, u}
	case capTouch | capList | capUsers:
		return struct {
			*migrating
			migToucher
			migLister
			migUserIndex
		}{m, t, l, u}
	case capSwap | capList | capUsers:
		return struct {
			*migrating
			migSwapper
			migLister
			migUserIndex
		}{m, s, l, u}
	case capTouch | capSwap | capList | capUsers:
		return struct {
			*migrating
			migToucher
			migSwapper
			migLister
			migUserIndex
		}{m, t, s, l, u}
	case capPurge:
		return struct {
			*migrating
			migPurger
		}{m, p}
	case capTouch | capPurge:
		return struct {
			*migrating
			migToucher
			migPurger
		}{m, t, p}
	case capSwap | capPurge:
		return struct {
			*migrating
			migSwapper
			migPurger
		}{m, s, p}
	case capTouch | capSwap | capPurge:
		return struct {
			*migrating
			migToucher
			migSwapper
			migPurger
		}{m, t, s, p}
	case capList | capPurge:
		return struct {
			*migrating
			migLister
			migPurger
		}{m, l, p}
	case capTouch | capList | capPurge:
		return struct {
			*migrating
			migToucher
			migLister
			migPurger
		}{m, t, l, p}
	case capSwap | capList | capPurge:
		return struct {
			*migrating
			migSwapper
			migLister
			migPurger
		}{m, s, l, p}
	case capTouch | capSwap | capList | capPurge:
		return struct {
			*migrating
			migToucher
			migSwapper
			migLister
			migPurger
		}{m, t, s, l, p}
	case capUsers | capPurge:
		return struct {
			*migrating
			migUserIndex
			migPurger
		}{m, u, p}
	case capTouch | capUsers | capPurge:
		return struct {
			*migrating
			migToucher
			migUserIndex
			migPurger
		}{m, t, u, p}
	case capSwap | capUsers | capPurge:
		return struct {
			*migrating
			migSwapper
			migUserIndex
			migPurger
		}{m, s, u, p}
	case capTouch | capSwap | capUsers | capPurge:
		return struct {
			*migrating
			migToucher
			migSwapper
			migUserIndex
			migPurger
		}{m, t, s, u, p}
	case capList | capUsers | capPurge:
		return struct {
			*migrating
			migLister
			migUserIndex
			migPurger
		}{m, l, u, p}
	case capTouch | capList | capUsers | capPurge:
		return struct {
			*migrating
			migToucher
			migLister
			migUserIndex
			migPurger
		}{m, t, l, u, p}
	case capSwap | capList | capUsers | capPurge:
		return struct {
			*migrating
			migSwapper
			migLister
			migUserIndex
			migPurger
		}{m, s, l, u, p}
	case capTouch | capSwap | capList | capUsers | capPurge:
		return struct {
			*migrating
			migToucher
			migSwapper
			migLister
			migUserIndex
			migPurger
		}{m, t, s, l, u, p}
	}
	return m
}
