/** What a FAT32 volume (and the Linux guest that mounts it) can hold. */

/** FAT32 keeps a file's size in 32 bits. */
export const MAX_FILE_BYTES = 0xffff_ffff

/** A VFAT long name holds at most 255 UTF-16 code units. */
export const MAX_NAME_UNITS = 255

/** Deeper trees are refused: nothing we ship needs them, and each level is a guest path lookup. */
export const MAX_DEPTH = 32

/** Linux's PATH_MAX less the terminating NUL: a longer path cannot be opened in the guest. */
export const MAX_PATH_BYTES = 4095

/** The FAT specification caps a directory at 65 536 32-byte entries (2 MiB). */
export const MAX_DIR_ENTRIES = 65_536
