# Shared by package.sh and quickstart.sh: a clean copy of the source tree
# for dpkg-buildpackage, and the packages built from it kept by the
# copy's hash under the build directory, so that the second of the two
# tests in one run installs the first one's .deb instead of building the
# same tree again (about a minute).

# deb_copy_tree SRC DEST: the tree's files as git knows them (tracked and
# new, not ignored: no build, no node_modules), or the unpacked tarball
# as it is, into DEST/mcpgw.
deb_copy_tree() {
	mkdir -p "$2/mcpgw"
	if git -C "$1" rev-parse --git-dir > /dev/null 2>&1; then
		(cd "$1" && git ls-files -co --exclude-standard -z |
			tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$2/mcpgw"
	else
		tar -C "$1" --exclude=./build --exclude=node_modules --exclude=./debian/build -cf - . |
			tar -xf - -C "$2/mcpgw"
	fi
}

# deb_tree_hash DIR: a hash of the files of DIR (names, modes, contents)
deb_tree_hash() {
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - . |
		sha256sum | cut -c1-16
}

# deb_cache DIR-HASH: where the .debs built from a copy of that hash are kept
deb_cache() {
	echo "${MG_BUILDDIR:-$SRC}/deb-cache/$1"
}

# deb_cache_put HASH DEBS...: keep these packages for HASH (only the last
# tree's are kept)
deb_cache_put() {
	local dir
	dir=$(deb_cache "$1")
	shift
	rm -rf "$(dirname "$dir")"
	mkdir -p "$dir" && cp "$@" "$dir/"
}
